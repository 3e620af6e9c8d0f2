// Migraine Helper simulator: sends what you type to POST /simulate and shows the reply.
// No framework and nothing fetched from elsewhere; text is only ever set as text.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  // Turns are sent one at a time, in order, so each carries the session the last one returned.
  const state = { session: null, last: null, queue: Promise.resolve() };
  const transcript = $("transcript");
  const readAloud = $("read-aloud");
  const speech = "speechSynthesis" in window ? window.speechSynthesis : null;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // One line of a turn: who (or what) in one column, the words in the other.
  function line(className, who, text) {
    const p = element("p", "entry " + className);
    p.append(element("span", "who", who), element("span", "words", text));
    return p;
  }

  function locale() { return $("locale").value; }
  function device() { return document.querySelector("input[name=device]:checked").value; }
  function deviceName() {
    return document.querySelector("input[name=device]:checked").parentElement.textContent.trim();
  }

  function understood(reply) {
    const slots = Object.entries(reply.slots).map(([name, slot]) =>
      `${name} = \u201c${slot.value}\u201d \u2192 ${slot.id || "no listed value"}`);
    return [reply.intent, ...slots].join(", ") + ". " + describe(reply.matched);
  }

  function describe(matched) {
    switch (matched.how) {
      case "exact": return `Exact match of the sample \u201c${matched.sample}\u201d.`;
      case "similar": return `Only similar to the sample \u201c${matched.sample}\u201d ` +
        `(score ${Math.round(matched.score)} of 100): a device may not understand it.`;
      case "launch": return "Opens the skill.";
      case "statement": return "No sample matches, but the words may mean danger, " +
        "so the skill triages them.";
      default: return "No sample matches: Alexa would send FallbackIntent.";
    }
  }

  function addTurn(text, reply) {
    const item = element("li", "turn");
    if (reply.new_session) {
      item.append(element("p", "divider",
        `New session: ${reply.locale}, ${deviceName()}.` +
        (reply.notice ? " " + reply.notice : "")));
    }
    item.append(line("said", "You", text));
    const how = line("understood", "Understood", understood(reply));
    if (reply.matched.device_may_differ) how.classList.add("warn");
    how.title = reply.matched.explanation;
    item.append(how);
    const answer = line("answer", "Alexa", reply.speech);
    if (reply.whispered) answer.lastChild.append(element("span", "tag", "whispered"));
    item.append(answer);
    if (reply.reprompt) item.append(line("reprompt quiet", "If silent", reply.reprompt));
    if (reply.ended) {
      item.append(element("p", "ended",
        "Session ended. The next thing you say starts a new session."));
    }
    transcript.append(item);
    $("transcript-empty").hidden = true;
    item.scrollIntoView({ block: "nearest" });
  }

  function showCard(card) {
    $("card-empty").hidden = card !== null;
    $("card-title").hidden = $("card-text").hidden = card === null;
    $("card-title").textContent = card ? card.title : "";
    $("card-text").textContent = card ? card.text : "";
    if (!card) $("card-empty").textContent = "No card with this answer.";
  }

  function showScreen(reply) {
    const box = $("screen-box");
    const note = $("screen-note");
    if (reply.device !== "echo-show") {
      box.hidden = true;
      note.textContent = "An Echo Dot has no screen. Choose Echo Show to see it.";
    } else if (!reply.screen) {
      box.hidden = true;
      note.textContent = "No screen with this answer.";
    } else {
      $("screen").srcdoc = reply.screen.html;
      note.textContent = reply.screen.emergency
        ? `The screen shows: ${reply.screen.emergency}.`
        : "The screen shows the answer.";
      box.hidden = false;
      fitScreen();
    }
  }

  function fitScreen() {
    const box = $("screen-box");
    const frame = $("screen");
    const scale = Math.min(1, box.clientWidth / Number(frame.width));
    frame.style.transform = `scale(${scale})`;
    box.style.height = `${Math.ceil(Number(frame.height) * scale)}px`;
  }

  async function say(text) {
    $("problem").textContent = "";
    let response;
    try {
      response = await fetch("/simulate", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text, locale: locale(), device: device(), session: state.session }),
      });
    } catch (error) {
      $("problem").textContent = "The simulator server did not answer. Is make run still running?";
      return;
    }
    const reply = await response.json().catch(() => ({ error: "an unreadable answer" }));
    if (!response.ok) {
      $("problem").textContent = `Not sent: ${reply.error || response.statusText}.`;
      return;
    }
    state.session = reply.session;
    state.last = reply;
    addTurn(text, reply);
    showCard(reply.card);
    showScreen(reply);
    readAloud.disabled = speech === null || !reply.speech;
    $("status").textContent = reply.ended
      ? "Session ended."
      : `In a session: ${reply.locale}, ${deviceName()}.`;
  }

  function newSession(reason) {
    state.queue = state.queue.then(() => { state.session = null; });
    if (speech) speech.cancel();
    $("status").textContent = `${reason} The next thing you say starts a new session ` +
      `(${locale()}, ${deviceName()}).`;
  }

  function send(text) {
    state.queue = state.queue.then(() => say(text));
  }

  $("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  $("pick-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send($("pick").value);
  });
  $("new-session").addEventListener("click", () => newSession("Session reset."));
  $("locale").addEventListener("change", () => {
    const chosen = $("locale").selectedOptions[0];
    $("emergency-note").textContent = `Emergency number: ${chosen.dataset.emergency}`;
    newSession("Locale changed.");
  });
  document.querySelectorAll("input[name=device]").forEach((radio) =>
    radio.addEventListener("change", () => newSession("Device changed.")));

  readAloud.addEventListener("click", () => {
    if (!speech || !state.last) return;
    speech.cancel();
    const utterance = new SpeechSynthesisUtterance(state.last.speech);
    utterance.lang = state.last.locale;
    // As the skill's SSML asks: a little slower; soft, or whispered (quieter here), or, for
    // emergency instructions, at full volume.
    const ssml = state.last.ssml;
    const rate = /<prosody rate="(\d+)%"/.exec(ssml);
    utterance.rate = rate ? Number(rate[1]) / 100 : 1;
    utterance.volume = state.last.whispered ? 0.4 : /volume="soft"/.test(ssml) ? 0.8 : 1;
    speech.speak(utterance);
  });
  if (!speech) $("voice-note").textContent = "This browser cannot read text aloud.";
  window.addEventListener("resize", () => { if (!$("screen-box").hidden) fitScreen(); });
})();
