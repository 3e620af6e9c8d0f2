// Drives the skill over HTTP with virtual-alexa, an independent Alexa emulator that resolves
// utterances from our interaction model: exact samples, and custom slots only on their
// listed values and synonyms (AMAZON.SearchQuery takes any words), as a strict Alexa would.
//
// stdin: {url, model, locale, conversations, apart}: each conversation is a list of utterances
// (with `apart`, each utterance starts a session of its own, as separate people would)
// ("LAUNCH" opens the skill). stdout: for each conversation, its turns
// {utterance, intent, slots: {name: {value, id}}, ssml, reprompt, ended, card}.
//
// Two departures from virtual-alexa's utter(), both to behave like a device mid-session:
// its launch check is an unanchored regex (any utterance containing "ask", "open" or "tell"
// becomes a LaunchRequest), so only a phrase that starts with one is treated as a launch;
// and an utterance no sample matches goes to AMAZON.FallbackIntent with no words, which is
// what Alexa sends, where virtual-alexa throws. Matching itself is virtual-alexa's own
// (virtual-core's Utterance); its sample regexes are built once instead of per comparison.
const { VirtualAlexa } = require("virtual-alexa");
const { Utterance } = require("virtual-core");
const { SamplePhrase } = require("virtual-core/lib/src/SampleUtterances");

const built = SamplePhrase.prototype.regex;
SamplePhrase.prototype.regex = function () {
  if (!this._cachedRegex) this._cachedRegex = built.call(this);
  return this._cachedRegex;
};

const LAUNCH = /^(?:alexa[, ]+)?(?:ask|open|launch|start|talk to|tell) migraine helpers?(?: (?:(?:to|and|for|about|if|whether) )?(.+))?$/i;

function resolve(alexa, text) {
  const model = alexa.context().interactionModel();
  const utterance = new Utterance(model, text);
  if (!utterance.matched()) return { intent: "AMAZON.FallbackIntent", slots: {} };
  const intent = utterance.intent();
  const slots = {};
  const raw = utterance.toJSON();
  const schema = model.intentSchema.intent(intent);
  for (const name of Object.keys(raw)) {
    const value = raw[name];
    const slot = schema.slotForName(name);
    const match = slot ? model.slotTypes.matchesSlot(slot.type, value) : null;
    const id = match && match.enumeratedValue ? match.enumeratedValue.id : null;
    slots[name] = { value, id };
  }
  return { intent, slots, raw };
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  const { url, model, conversations, locale, apart } = JSON.parse(input);
  const results = [];
  for (const utterances of conversations) {
    const alexa = VirtualAlexa.Builder()
      .skillURL(url)
      .interactionModelFile(model)
      .locale(locale || "en-US")
      .create();
    const turns = [];
    for (const utterance of utterances) {
      if (apart && alexa.context().activeSession()) alexa.context().endSession();
      try {
        const launch = utterance === "LAUNCH" ? [utterance, undefined] : LAUNCH.exec(utterance);
        let reply;
        let understood;
        if (launch && !launch[1]) {
          understood = { intent: "LaunchRequest", slots: {} };
          reply = await alexa.launch();
        } else {
          understood = resolve(alexa, launch ? launch[1] : utterance);
          reply = await alexa.intend(understood.intent, understood.raw || {});
        }
        const response = reply.response || {};
        turns.push({
          utterance,
          intent: understood.intent,
          slots: understood.slots,
          ssml: (response.outputSpeech || {}).ssml || null,
          reprompt: ((response.reprompt || {}).outputSpeech || {}).ssml || null,
          ended: response.shouldEndSession === true,
          card: response.card || null,
          record: reply._record === undefined ? null : reply._record,
        });
      } catch (error) {
        turns.push({ utterance, error: String(error && error.message ? error.message : error) });
      }
    }
    results.push(turns);
  }
  process.stdout.write(JSON.stringify(results));
});
