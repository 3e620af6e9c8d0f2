// Drives the skill over HTTP with virtual-alexa, an independent Alexa emulator that
// resolves utterances from our interaction model. stdin: {url, model, conversations};
// each conversation is a list of utterances ("LAUNCH" opens the skill). stdout: for each
// conversation, the list of turns {utterance, ssml, reprompt, ended, card}.
const { VirtualAlexa } = require("virtual-alexa");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  const { url, model, conversations, locale } = JSON.parse(input);
  const results = [];
  for (const utterances of conversations) {
    const alexa = VirtualAlexa.Builder()
      .skillURL(url)
      .interactionModelFile(model)
      .locale(locale || "en-US")
      .create();
    const turns = [];
    for (const utterance of utterances) {
      try {
        const reply = utterance === "LAUNCH" ? await alexa.launch() : await alexa.utter(utterance);
        const response = reply.response || {};
        turns.push({
          utterance,
          ssml: (response.outputSpeech || {}).ssml || null,
          reprompt: ((response.reprompt || {}).outputSpeech || {}).ssml || null,
          ended: response.shouldEndSession === true,
          card: response.card || null,
        });
      } catch (error) {
        turns.push({ utterance, error: String(error && error.message ? error.message : error) });
      }
    }
    results.push(turns);
  }
  process.stdout.write(JSON.stringify(results));
});
