// Starts the agent's browser phone on the console page: its settings from the session
// (GET /agent/phone/config), then window.deskPhone for the console's buttons. The state
// line is the only UI here; the console (console.js) builds the call controls.
import { DeskPhone } from "/static/phone.js";

const STATES = {
  offline: "Telepon browser: tidak tersambung",
  registered: "Telepon browser: siap",
  ringing: "Telepon browser: berdering",
  talking: "Telepon browser: bicara",
  held: "Telepon browser: ditahan",
};

async function startPhone() {
  const line = document.getElementById("phone-state");
  const answer = await fetch("/agent/phone/config", { credentials: "same-origin" });
  if (!answer.ok) return; // not an agent (or logged out): no phone
  const phone = new DeskPhone(await answer.json());
  window.deskPhone = phone;
  const show = () => {
    if (line) line.textContent = STATES[phone.state] || phone.state;
  };
  for (const name of ["registered", "unregistered", "incoming", "connected", "ended", "held"]) {
    phone.addEventListener(name, show);
  }
  phone.addEventListener("registrationFailed", (event) => {
    if (line) line.textContent = `Telepon browser gagal mendaftar: ${event.detail.reason}`;
  });
  window.addEventListener("pagehide", () => phone.stop());
  await phone.start();
}

startPhone().catch((error) => console.warn("browser phone:", error));
