// Validates Alexa SSML with ssml-check-core. stdin: a JSON array of SSML strings;
// stdout: a JSON array with, for each string, null (valid) or its list of errors.
const ssmlCheck = require("ssml-check-core");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  const documents = JSON.parse(input);
  const results = [];
  for (const ssml of documents) {
    const errors = await ssmlCheck.check(ssml, { platform: "amazon", locale: "en-US" });
    results.push(errors && errors.length ? errors : null);
  }
  process.stdout.write(JSON.stringify(results));
});
