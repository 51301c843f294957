// The student page of a pop3scope classroom. Everything the server sends is put on the page as
// text (textContent), never as markup; the page talks only to the server it came from.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
let token = sessionStorage.getItem("pop3scope-token");
let events = null;
let current = null;
let words = null;

// The page's words in the lesson's language, before anyone has joined.
async function label() {
  try {
    const response = await fetch("/words");
    if (!response.ok) return;
    const labels = await response.json();
    applyWords(labels.lang, labels.title, labels.words);
  } catch (_) {
    // The form keeps its English words.
  }
}

function applyWords(lang, title, w) {
  words = w;
  document.documentElement.lang = lang;
  document.title = title;
  $("title").textContent = title;
  $("join-heading").textContent = w.join;
  $("name-label").textContent = w.name;
  $("code-label").textContent = w.code;
  $("join-button").textContent = w.join_button;
  $("conversation-heading").textContent = w.conversation;
  $("ladder-heading").textContent = w.ladder;
  $("detail-heading").textContent = w.detail;
  $("back").textContent = w.back;
  $("next").textContent = w.next;
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let problem = null;
  if (!response.ok) {
    try { problem = (await response.json()).error; } catch (_) { problem = response.statusText; }
  }
  return { response, problem };
}

$("join").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("join-error").textContent = "";
  const { response, problem } = await post("/join", { name: $("name").value, code: $("code").value });
  if (problem) {
    $("join-error").textContent = problem;
    return;
  }
  token = (await response.json()).token;
  sessionStorage.setItem("pop3scope-token", token);
  listen();
});

function listen() {
  if (events) events.close();
  $("join").hidden = true;
  events = new EventSource("/events?token=" + encodeURIComponent(token));
  events.addEventListener("state", (event) => render(JSON.parse(event.data)));
  events.addEventListener("error", async () => {
    if (events.readyState !== EventSource.CLOSED) return;
    // Closed: join again only if the class no longer knows this student (it was restarted);
    // otherwise (busy, a newer tab took over, the network) try again in a moment.
    const { response } = await post("/whoami", { token });
    if (response.status === 401) {
      sessionStorage.removeItem("pop3scope-token");
      token = null;
      $("lesson").hidden = true;
      $("done").hidden = true;
      $("join").hidden = false;
    } else {
      setTimeout(listen, 2000);
    }
  });
}

function render(state) {
  current = state;
  applyWords(state.lang, state.title, state.words);
  $("who").textContent = state.name;
  $("next").hidden = state.finished;
  if (state.finished) {
    $("lesson").hidden = true;
    $("done").hidden = false;
    const [right, asked] = state.score || [0, 0];
    $("score").textContent = `${words.score}: ${right} / ${asked}`;
    $("pace").hidden = !state.self_paced;
    if (state.self_paced) $("done").append($("pace"));
    return;
  }
  $("done").hidden = true;
  $("lesson").hidden = false;
  if (state.self_paced && $("pace").parentElement !== $("lesson")) $("question").after($("pace"));
  const page = state.page;
  $("step").textContent = `${page.step} / ${page.steps}`;
  $("say").replaceChildren(...page.say.filter((t) => t).map((t) => el("p", t)));
  renderQuestion(state);
  $("pace").hidden = !state.self_paced;
  $("endpoints").textContent = page.endpoints.join("  ⇄  ");
  $("rows").replaceChildren(...page.rows.map((row, i) => {
    const li = el("li", null, i === page.selected ? "selected" : "");
    li.append(el("span", band(row.phase), "band " + row.phase), el("span", row.text, row.from || "none"));
    return li;
  }));
  renderLadder(page);
  $("detail").replaceChildren(...page.detail.map(([tone, text]) => el("p", text, tone)));
}

// The phase band: the state's name, shortened on a narrow screen.
const SHORT = { AUTHORIZATION: "AUTH", TRANSACTION: "TRANS", UPDATE: "UPDATE", TLS: "TLS", UNKNOWN: "?" };
function band(phase) {
  return window.matchMedia("(max-width: 40rem)").matches ? SHORT[phase] || phase : phase;
}

// What a student has marked or typed but not sent: the page is drawn again whenever the
// class changes (another student joins or answers), and must not lose it.
let draft = { step: 0, marked: new Set(), number: "" };

function renderQuestion(state) {
  const page = state.page;
  const ask = page.ask;
  $("question").hidden = !ask;
  if (!ask) return;
  if (draft.step !== page.step) draft = { step: page.step, marked: new Set(), number: "" };
  $("ask").textContent = ask.text;
  const answer = page.answer;
  const mine = state.mine;
  const closed = Boolean(mine || answer);
  const several = ask.kind === "several";
  const picked = (i) => Boolean(mine && mine.choices.includes(i));
  const right = (i) => Boolean(answer && answer.correct.includes(i));
  $("choices").replaceChildren(...ask.choices.map((text, i) => {
    const li = el("li");
    const button = el("button", `${i + 1}) ${text}`);
    button.type = "button";
    button.disabled = closed;
    if (picked(i)) button.classList.add("chosen");
    if (right(i)) button.classList.add("right");
    else if (answer && picked(i)) button.classList.add("wrong");
    if (several) {
      const mark = (on) => {
        button.setAttribute("aria-pressed", String(on));
        button.classList.toggle("marked", on);
      };
      mark(!closed && draft.marked.has(i));
      button.addEventListener("click", () => {
        if (draft.marked.has(i)) draft.marked.delete(i);
        else draft.marked.add(i);
        mark(draft.marked.has(i));
      });
    } else {
      button.addEventListener("click", () => send(page.step, { choices: [i] }));
    }
    li.append(button);
    if (answer && (right(i) || picked(i))) li.append(el("p", answer.why[i], "why"));
    return li;
  }));
  const form = $("give");
  form.replaceChildren();
  form.hidden = !(several || ask.kind === "number");
  if (several) {
    form.append(el("p", state.words.several, "quiet"));
  } else if (ask.kind === "number") {
    const label = el("label", state.words.number + " ");
    const input = el("input");
    input.id = "number";
    input.inputMode = "numeric";
    input.pattern = "[0-9]*";
    input.maxLength = 19;
    input.disabled = closed;
    input.value = mine && mine.number !== null ? String(mine.number) : draft.number;
    input.addEventListener("input", () => { draft.number = input.value; });
    label.append(input);
    form.append(label);
    if (answer && answer.number) {
      form.append(el("p", `${state.words.answer_is}: ${answer.number[0]}. ${answer.number[1]}`, "why"));
    }
  }
  if (!form.hidden && !closed) {
    const button = el("button", state.words.send);
    button.type = "submit";
    form.append(button);
  }
  form.onsubmit = (event) => {
    event.preventDefault();
    if (several) {
      const choices = [...draft.marked].sort((a, b) => a - b);
      if (choices.length) send(page.step, { choices });
    } else {
      const text = $("number").value.trim();
      if (/^[0-9]{1,19}$/.test(text)) send(page.step, { number: Number(text) });
    }
  };
  const feedback = $("feedback");
  feedback.className = "";
  if (mine && mine.right === true) { feedback.textContent = state.words.right; feedback.className = "good"; }
  else if (mine && mine.right === false) { feedback.textContent = state.words.wrong; feedback.className = "bad"; }
  else if (mine) feedback.textContent = state.words.waiting;
  else if (ask.kind === "predict" && !answer) feedback.textContent = state.words.hidden;
  else feedback.textContent = "";
}

async function send(step, answer) {
  for (const button of $("question").querySelectorAll("button")) button.disabled = true;
  const { problem } = await post("/answer", { token, step, ...answer });
  if (problem) $("feedback").textContent = problem;
}

async function move(forward) {
  const { problem } = await post("/move", { token, forward });
  if (problem && current && current.page) $("feedback").textContent = problem;
}

$("back").addEventListener("click", () => move(false));
$("next").addEventListener("click", () => move(true));

// The ladder diagram: the client on the left, the server on the right, an arrow per row.
function renderLadder(page) {
  const width = 640, left = 110, right = 620, step = 24, top = 36;
  const height = top + step * Math.max(page.rows.length, 1) + 8;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const defs = svg("defs", {});
  const marker = svg("marker", { id: "head", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#333" }));
  defs.append(marker);
  root.append(defs);
  root.append(svg("text", { x: left, y: 14, "text-anchor": "middle", fill: "#0b6e99" }, words ? words.client : "client"));
  root.append(svg("text", { x: right - 10, y: 14, "text-anchor": "end", fill: "#333" }, words ? words.server : "server"));
  root.append(svg("line", { x1: left, y1: 20, x2: left, y2: height, stroke: "#999" }));
  root.append(svg("line", { x1: right, y1: 20, x2: right, y2: height, stroke: "#999" }));
  page.rows.forEach((row, i) => {
    const y = top + i * step;
    root.append(svg("text", { x: 2, y: y + 4, fill: "#666", "font-size": 10 }, row.phase));
    const label = (row.exchange ? row.exchange + " " : "") + row.text;
    const short = label.length > 60 ? label.slice(0, 59) + "…" : label;
    if (row.from) {
      const [x1, x2] = row.from === "client" ? [left, right] : [right, left];
      root.append(svg("line", { x1, y1: y, x2, y2: y, stroke: row.from === "client" ? "#0b6e99" : "#333", "marker-end": "url(#head)" }));
    }
    const text = svg("text", { x: (left + right) / 2, y: y - 4, "text-anchor": "middle", fill: i === page.selected ? "#8a5a00" : "#111" }, short);
    root.append(text);
  });
  $("ladder").replaceChildren(root);
}

label();
if (token) listen();
