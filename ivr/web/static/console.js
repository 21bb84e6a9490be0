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

function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)} mnt ${s % 60} dtk`;
}

function show(pop) {
  const main = document.getElementById("pop");
  main.dataset.state = pop.state;
  main.dataset.callId = pop.call_id;
  main.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = `${REASON_STATES[pop.state] || pop.state}: ${pop.caller || "nomor tidak dikenal"}`;
  const table = document.createElement("table");
  const p = pop.pilgrim || {};
  table.append(
    row("Nomor penelepon", pop.caller),
    row("Alasan", pop.reason_text),
    row("Nomor porsi", pop.porsi),
    row("Tanggal lahir terverifikasi", pop.porsi ? (pop.verified ? "Ya" : "Tidak") : ""),
    row("Nama jemaah", p.name),
    row("Status porsi", p.status),
    row("Perkiraan berangkat", p.estimate ? `${p.estimate} M / ${p.estimate_hijri} H` : ""),
    row("Kloter", p.kloter ? `${p.kloter} (${p.embarkasi})` : ""),
    row("Paspor / visa", p.passport ? `${p.passport} / ${p.visa}` : ""),
    row("Pelunasan", p.payment),
    row("Daerah", p.kabupaten ? `${p.kabupaten}, ${p.province}` : ""),
    row("Topik ditanyakan", (pop.topics || []).join(", ")),
    row("Nomor pengaduan", pop.ticket),
    row("Lama menunggu", minutes(pop.waited)),
    row("Antrean", pop.queue),
  );
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
