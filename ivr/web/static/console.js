// hajj-ivr agent console: the screen pop, pushed by the server (Server-Sent Events).
"use strict";
const REASON_STATES = {
  ringing: "Berdering", connected: "Tersambung", ended: "Selesai",
  missed: "Tidak dijawab", abandoned: "Penelepon menutup telepon",
};

function row(label, value) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  const td = document.createElement("td");
  th.textContent = label;
  td.textContent = value === null || value === undefined || value === "" ? "—" : String(value);
  tr.append(th, td);
  return tr;
}

function show(pop) {
  const main = document.getElementById("pop");
  main.dataset.state = pop.state;
  main.dataset.callId = pop.call_id;
  main.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = `${REASON_STATES[pop.state] || pop.state}: ${pop.caller || "nomor tidak dikenal"}`;
  // The server decides what the agent sees, row by row (ivr/web/screenpop.py rows).
  const table = document.createElement("table");
  for (const [label, value] of pop.rows || []) table.append(row(label, value));
  table.querySelectorAll("td")[0].id = "caller";
  if (pop.pilgrim && !pop.verified) {
    // The server sends only the public facts until the date of birth was keyed.
    const note = document.createElement("p");
    note.id = "private-note";
    note.className = "private";
    note.textContent = "Nama, kloter, dokumen dan pelunasan tampil setelah penelepon " +
      "memasukkan tanggal lahir dengan benar.";
    main.append(h, note);
  } else {
    main.append(h);
  }
  const path = document.createElement("ol");
  path.id = "path";
  for (const step of pop.path || []) {
    const li = document.createElement("li");
    li.textContent = step;
    path.append(li);
  }
  const pathTitle = document.createElement("h3");
  pathTitle.textContent = "Jalur menu";
  main.append(table, pathTitle, path);
}

async function start() {
  const first = await fetch("/agent/api/current", { credentials: "same-origin" });
  if (first.ok) {
    const pop = await first.json();
    if (pop) show(pop);
  }
  const events = new EventSource("/agent/events");
  events.addEventListener("pop", (e) => show(JSON.parse(e.data)));
  // The server ends the stream when the session ends (logout elsewhere, removal, a new
  // password, expiry); the browser's reconnect is then refused: back to the login page.
  events.addEventListener("error", async () => {
    if (events.readyState !== EventSource.CLOSED) return;
    const check = await fetch("/agent/api/current", { credentials: "same-origin" });
    if (check.status === 401) window.location.assign("/login?next=/agent");
  });
}

start();
