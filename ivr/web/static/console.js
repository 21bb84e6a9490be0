// hajj-ivr agent desk: queue state, the screen pop (Server-Sent Events), call controls on
// the browser phone (phone.js's DeskPhone, when there is one), the after-call panel.
// An ES module; no inline handlers (the CSP forbids inline script).
const POP_STATES = {
  ringing: "Berdering", connected: "Tersambung", ended: "Selesai",
  missed: "Tidak dijawab", abandoned: "Penelepon menutup telepon",
};
const AGENT_STATES = {
  "logged out": "Di luar antrean", available: "Siap", paused: "Jeda", ringing: "Berdering",
  "on call": "Sedang menelepon", "phone offline": "Telepon tidak terhubung",
  unknown: "Status tidak diketahui",
};
const PHONES = { browser: "telepon browser", desk: "telepon meja" };
const AFTER_CALL = "pascapanggilan";
const STATE_EVERY = 3000; // ms between state polls (the same state the feature codes set)
const $ = (id) => document.getElementById(id);
const desk = {
  phone: null, pop: null, callStart: null, pausedAt: null, state: null, nextCall: null,
};

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor(s / 60)).padStart(2, "0");
  return `${mm}:${String(s % 60).padStart(2, "0")}`;
}

function say(text, bad = false) {
  const p = $("desk-message");
  p.textContent = text;
  p.classList.toggle("error", bad);
}

// ---- state bar ----
function showState(s) {
  desk.state = s;
  const badge = $("agent-state");
  badge.dataset.state = s.state;
  let text = AGENT_STATES[s.state] || s.state;
  if (s.paused && s.reason) text += ` (${s.reason})`;
  badge.textContent = text;
  $("agent-phone").textContent = s.phone ? `di ${PHONES[s.phone]}` : "";
  const inQueue = !["logged out", "unknown"].includes(s.state);
  $("login-form").hidden = inQueue;
  $("logout-form").hidden = !inQueue;
  $("pause-form").hidden = !inQueue || s.paused;
  $("unpause-form").hidden = !inQueue || !s.paused;
  desk.pausedAt = s.paused && s.paused_for !== null ? Date.now() - s.paused_for * 1000 : null;
  const acw = s.paused && s.reason === AFTER_CALL;
  $("acw-timer").hidden = !acw;
  $("after-call").classList.toggle("active", acw);
}

async function pollState() {
  try {
    const answer = await fetch("/agent/api/state", { credentials: "same-origin" });
    if (answer.status === 401) return window.location.assign("/login?next=/agent");
    if (answer.ok) showState(await answer.json());
  } catch (e) { /* the next poll tries again */ }
}

async function post(form) {
  const answer = await fetch(form.action, {
    method: "POST", body: new FormData(form), credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  let body = {};
  try { body = await answer.json(); } catch (e) { body = {}; }
  return { ok: answer.ok, body };
}

function wireStateForms() {
  for (const id of ["login-form", "pause-form", "unpause-form", "logout-form"]) {
    $(id).addEventListener("submit", async (e) => {
      e.preventDefault();
      const { ok, body } = await post(e.target);
      say(body.text || body.error || (ok ? "Selesai." : "Gagal."), !ok);
      await pollState();
    });
  }
}

// ---- screen pop ----
function row(label, value) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  const td = document.createElement("td");
  th.textContent = label;
  td.textContent = value === null || value === undefined || value === "" ? "—" : String(value);
  tr.append(th, td);
  return tr;
}

function el(tag, text, id) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (id) e.id = id;
  return e;
}

function showPop(pop) {
  const card = $("pop");
  const fresh = !desk.pop || desk.pop.call_id !== pop.call_id;
  desk.pop = pop;
  card.dataset.state = pop.state;
  card.dataset.callId = pop.call_id;
  card.replaceChildren();
  const h = el("h2", `${POP_STATES[pop.state] || pop.state}: ${pop.caller || "nomor tidak dikenal"}`);
  card.append(h);
  const badges = el("p", undefined, "pop-badges");
  badges.className = "badges";
  if (pop.porsi) {
    const v = el("span", pop.verified ? "Terverifikasi" : "Belum terverifikasi", "pop-verified");
    v.className = `badge ${pop.verified ? "ok" : "warn"}`;
    badges.append(v);
  }
  const why = el("span", pop.reason_text || "", "pop-reason");
  why.className = "reason";
  badges.append(why);
  card.append(badges);
  if (pop.pilgrim && !pop.verified) {
    // The server sends only the public facts until the date of birth was keyed.
    const note = el("p", "Nama, kloter, dokumen dan pelunasan tampil setelah penelepon " +
      "memasukkan tanggal lahir dengan benar.", "private-note");
    note.className = "private";
    card.append(note);
  }
  // The server decides what the agent sees, row by row (ivr/web/screenpop.py rows); the
  // card leaves out facts this call has not got, save the caller and the porsi.
  const table = document.createElement("table");
  (pop.rows || []).forEach(([label, value], i) => {
    if (i < 3 || (value !== null && value !== undefined && value !== "")) table.append(row(label, value));
  });
  const first = table.querySelector("td");
  if (first) first.id = "caller";
  const path = el("ol", undefined, "path");
  for (const step of pop.path || []) path.append(el("li", step));
  card.append(table, el("h3", "Yang dikatakan IVR (jalur menu)"), path);
  if (fresh) startAfterCall(pop);
  if (pop.state === "connected" && !desk.callStart) desk.callStart = Date.now();
  if (pop.state !== "connected" && pop.state !== "ringing") desk.callStart = null;
  updateControls();
}

function startAfterCall(pop) {
  // An unsaved note stays with its call: the next call waits until it is saved.
  if ($("disposition-note").value.trim() && $("disposition-saved").textContent === "") {
    desk.nextCall = pop;
    return;
  }
  desk.nextCall = null;
  $("disposition-call").value = pop.call_id;
  $("disposition-save").disabled = !pop.call_id;
  $("disposition-saved").textContent = "";
  $("disposition-note").value = "";
}

async function startPops() {
  const first = await fetch("/agent/api/current", { credentials: "same-origin" });
  if (first.ok) {
    const pop = await first.json();
    if (pop) showPop(pop);
  }
  const events = new EventSource("/agent/events");
  events.addEventListener("pop", (e) => showPop(JSON.parse(e.data)));
  // The server ends the stream when the session ends (logout elsewhere, removal, a new
  // password, expiry); the browser's reconnect is then refused: back to the login page.
  events.addEventListener("error", async () => {
    if (events.readyState !== EventSource.CLOSED) return;
    const check = await fetch("/agent/api/current", { credentials: "same-origin" });
    if (check.status === 401) window.location.assign("/login?next=/agent");
  });
}

// ---- call controls (browser phone only) ----
function updateControls() {
  const st = desk.phone ? desk.phone.state : "offline";
  const inCall = st === "talking" || st === "held";
  $("answer").disabled = st !== "ringing";
  $("reject").disabled = st !== "ringing";
  $("hangup").disabled = !inCall;
  $("mute").disabled = !inCall;
  $("hold").disabled = !inCall;
  if ($("transfer")) $("transfer").disabled = !inCall;
  for (const b of $("dtmf").querySelectorAll("button")) b.disabled = !inCall;
  $("controls").dataset.phone = st;
  $("controls-note").hidden = Boolean(desk.phone);
}

function press(on, button) {
  button.setAttribute("aria-pressed", String(on));
  button.classList.toggle("on", on);
}

function wireControls() {
  const act = (id, work) => $(id).addEventListener("click", async () => {
    if (!desk.phone) return;
    try { await work(desk.phone); } catch (e) { say(`Gagal: ${e.message || e}`, true); }
    updateControls();
  });
  act("answer", (p) => p.answer());
  act("reject", (p) => p.reject());
  act("hangup", (p) => p.hangup());
  act("mute", (p) => p.setMuted($("mute").getAttribute("aria-pressed") !== "true"));
  act("hold", (p) => p.setHeld($("hold").getAttribute("aria-pressed") !== "true"));
  if ($("transfer")) act("transfer", (p) => p.transfer($("transfer").dataset.tier));
  for (const b of $("dtmf").querySelectorAll("button")) {
    b.addEventListener("click", () => desk.phone && desk.phone.sendDtmf(b.dataset.digit));
  }
  // Shortcuts: F2 answers, F4 hangs up (or rejects a ringing call); never while typing.
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return;
    let button = null;
    if (e.key === "F2") button = $("answer");
    if (e.key === "F4") button = $("hangup").disabled ? $("reject") : $("hangup");
    if (!button) return;
    e.preventDefault();
    if (!button.disabled) button.click();
  });
}

async function startPhone() {
  // The browser phone is optional: a desk-phone agent's console works without it.
  let DeskPhone;
  try {
    ({ DeskPhone } = await import("/static/phone.js"));
    const answer = await fetch("/agent/phone/config", { credentials: "same-origin" });
    if (!answer.ok) throw new Error(`config ${answer.status}`);
    desk.phone = new DeskPhone(await answer.json());
    window.deskPhone = desk.phone; // the tests' handle on the same phone
  } catch (e) {
    $("phone-status").textContent = "Telepon browser: tidak tersedia";
    return;
  }
  const status = (text, state) => {
    $("phone-status").textContent = `Telepon browser: ${text}`;
    $("phone-status").dataset.phone = state;
    updateControls();
  };
  const p = desk.phone;
  p.addEventListener("registered", () => status("terdaftar", "registered"));
  p.addEventListener("unregistered", () => status("tidak terdaftar", "offline"));
  p.addEventListener("registrationFailed", (e) => status(`gagal (${e.detail.reason})`, "offline"));
  p.addEventListener("incoming", () => status("berdering", "ringing"));
  p.addEventListener("connected", () => { desk.callStart = Date.now(); status("tersambung", "talking"); });
  p.addEventListener("ended", () => {
    desk.callStart = null;
    press(false, $("mute"));
    press(false, $("hold"));
    status("terdaftar", "registered");
    pollState(); // the server paused us for after-call work (AgentComplete)
  });
  p.addEventListener("held", (e) => { press(e.detail.on, $("hold")); updateControls(); });
  p.addEventListener("muted", (e) => press(e.detail.on, $("mute")));
  window.addEventListener("pagehide", () => p.stop());
  await p.start();
}

// ---- after the call ----
function wireAfterCall() {
  $("disposition-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const { ok, body } = await post(e.target);
    const when = new Date().toLocaleTimeString("id-ID");
    $("disposition-saved").textContent = ok ? `Tersimpan ${when}` : (body.error || "Gagal menyimpan");
    $("disposition-saved").classList.toggle("error", !ok);
    if (ok && desk.nextCall) {
      const next = desk.nextCall;
      setTimeout(() => startAfterCall(next), 1500); // the saved line read first
    }
  });
}

function tick() {
  $("call-timer").textContent = desk.callStart ? clock((Date.now() - desk.callStart) / 1000) : "00:00";
  const paused = desk.pausedAt ? clock((Date.now() - desk.pausedAt) / 1000) : "";
  $("state-timer").hidden = !paused;
  $("state-timer").textContent = paused;
  $("acw-timer").textContent = paused ? `kerja pascapanggilan ${paused}` : "";
}

wireStateForms();
wireControls();
wireAfterCall();
updateControls();
pollState();
setInterval(pollState, STATE_EVERY);
setInterval(tick, 1000);
startPops();
startPhone();
