// The web studio's chat: draw what the bot says, send photos, presses and commands.
// Every value from the server is put in the page as text (textContent), never as HTML.
"use strict";

const csrf = document.querySelector('meta[name="csrf"]').content;
const log = document.getElementById("log");
const toast = document.getElementById("toast");
const drawn = new Map();
let version = 0;
const LINK = /(https?:\/\/[^\s]+|\/(?:album|a|t)\/[^\s]+)/g;

// POSTs on their way, and how many were answered: after /delete the old cookie is refused,
// and the answer to the press that asked for it brings this browser a new one, so a refused
// poll first waits for them, or tries again once if one was answered while it was out.
const sending = new Set();
let answered = 0;

function post(path, body, headers) {
  const request = fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: Object.assign({ "X-CSRF-Token": csrf }, headers || { "Content-Type": "application/json" }),
    body: body,
  });
  sending.add(request);
  request.finally(() => { sending.delete(request); answered += 1; }).catch(() => {});
  return request;
}

function textWithLinks(text) {
  const p = document.createElement("p");
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    p.append(text.slice(last, match.index));
    const a = document.createElement("a");
    a.href = match[0];
    a.textContent = match[0];
    a.target = "_blank";
    a.rel = "noopener";
    p.append(a);
    last = match.index + match[0].length;
  }
  p.append(text.slice(last));
  return p;
}

function figure(file, download) {
  const fig = document.createElement("figure");
  const link = document.createElement("a");
  link.href = file.url;
  if (download) {
    link.download = file.caption;
    link.textContent = "⬇ " + file.caption;
    link.className = "download";
    fig.append(link);
    return fig;
  }
  link.target = "_blank";
  const img = document.createElement("img");
  img.src = file.url;
  img.alt = file.caption;
  link.append(img);
  fig.append(link);
  if (file.caption) {
    const cap = document.createElement("figcaption");
    cap.textContent = file.caption;
    fig.append(cap);
  }
  return fig;
}

function draw(message) {
  let el = drawn.get(message.id);
  if (!el) {
    el = document.createElement("div");
    el.dataset.id = message.id;
    drawn.set(message.id, el);
    log.append(el);
  }
  el.className = "msg bot " + message.kind;
  el.replaceChildren();
  if (message.files.length) {
    const box = document.createElement("div");
    box.className = message.kind === "gallery" ? "gallery" : "files";
    for (const file of message.files) box.append(figure(file, message.kind === "document"));
    el.append(box);
  }
  if (message.text) el.append(textWithLinks(message.text));
  for (const row of message.buttons) {
    const line = document.createElement("div");
    line.className = "buttons";
    for (const button of row) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "reply-button";
      b.textContent = button.label;
      b.addEventListener("click", () => post("/api/button", JSON.stringify({ data: button.data })));
      line.append(b);
    }
    el.append(line);
  }
  if (message.kind === "notice") {
    toast.textContent = message.text;
    toast.hidden = false;
    setTimeout(() => { toast.hidden = true; }, 4000);
  }
  el.scrollIntoView({ block: "end" });
}

function mine(text, file) {
  const el = document.createElement("div");
  el.className = "msg mine";
  if (file) {
    const img = document.createElement("img");
    img.src = URL.createObjectURL(file);
    img.alt = file.name;
    el.append(img);
  }
  if (text) el.append(textWithLinks(text));
  log.append(el);
  el.scrollIntoView({ block: "end" });
}

async function poll() {
  for (;;) {
    try {
      const before = answered;
      const response = await fetch("/api/messages?since=" + version, { credentials: "same-origin" });
      if (response.status === 401) {
        if (sending.size) { await Promise.allSettled([...sending]); continue; }
        if (answered !== before) continue;
        location.reload();
        return;
      }
      const body = await response.json();
      for (const message of body.messages) draw(message);
      version = body.version;
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function upload(files) {
  for (const file of files) {
    mine("", file);
    await post("/api/photo", file, {
      "Content-Type": file.type || "application/octet-stream",
      "X-File-Name": encodeURIComponent(file.name),
    });
  }
}

function say(text) {
  if (!text.trim()) return;
  mine(text);
  post("/api/text", JSON.stringify({ text: text }));
}

document.getElementById("files").addEventListener("change", (event) => {
  upload(Array.from(event.target.files));
  event.target.value = "";
});
document.getElementById("say").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  say(input.value);
  input.value = "";
});
for (const button of document.querySelectorAll("[data-command]")) {
  button.addEventListener("click", () => say(button.dataset.command));
}
document.addEventListener("dragover", (event) => { event.preventDefault(); document.body.classList.add("dropping"); });
document.addEventListener("dragleave", () => document.body.classList.remove("dropping"));
document.addEventListener("drop", (event) => {
  event.preventDefault();
  document.body.classList.remove("dropping");
  upload(Array.from(event.dataTransfer.files));
});
poll();
