#!/usr/bin/env node
// Checks follower.mjs without Quire, on loopback only:
//
//   node tests/fediverse/selftest.mjs
//
// 1. Instance A of the harness serves WebFinger and an actor with a public key
//    over http://, and refuses an unsigned Create with 401 and no event.
// 2. This script plays a small remote server, "carol", whose requests it signs
//    by hand the way a server such as Quire does (draft-cavage, rsa-sha256,
//    SHA-256 Digest): a good signature gets through, a changed body, an old
//    Date or a signer who is not the activity's actor are refused.  Carol's
//    Follow is answered with an Accept whose signature this script checks
//    with node:crypto alone.
// 3. Instance B follows A by its handle: WebFinger over http://, then a signed
//    Follow that A verifies and answers with a signed Accept that B verifies;
//    then B replies, likes and unfollows.
//
// Exits 0 when everything held, 1 otherwise; gives up after 20 s.

import { spawn } from "node:child_process";
import {
  createHash,
  createSign,
  createVerify,
  generateKeyPairSync,
  randomUUID,
} from "node:crypto";
import http from "node:http";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const HARNESS = fileURLToPath(new URL("./follower.mjs", import.meta.url));
const DEADLINE_MS = 20_000;

let passed = 0;
let failed = 0;
const children = [];

function check(ok, what, detail) {
  if (ok) {
    passed++;
    console.log(`ok - ${what}`);
  } else {
    failed++;
    console.log(`not ok - ${what}${detail === undefined ? "" : `: ${detail}`}`);
  }
  return ok;
}

function finish() {
  for (const child of children) {
    if (child.exitCode == null) child.kill("SIGKILL");
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

const deadline = setTimeout(() => {
  check(false, `everything within ${DEADLINE_MS / 1000} s`);
  finish();
}, DEADLINE_MS);
deadline.unref();

// ---------------------------------------------------------------- harness

class Harness {
  constructor(name, args) {
    this.name = name;
    this.events = [];
    this.waiters = [];
    this.child = spawn(process.execPath, [HARNESS, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.push(this.child);
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    readline.createInterface({ input: this.child.stdout }).on("line", (line) => {
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        event = { event: "unparsed", line };
      }
      this.events.push(event);
      for (const waiter of [...this.waiters]) {
        if (waiter.predicate(event)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    });
    this.stderr = [];
    readline.createInterface({ input: this.child.stderr }).on("line", (line) => {
      this.stderr.push(line);
      if (process.env.FEDIVERSE_SELFTEST_VERBOSE) console.error(`${name}: ${line}`);
    });
  }

  // The first event, past or future, for which predicate holds.
  waitFor(predicate, what, timeoutMs = 8000) {
    const seen = this.events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const waiter = { predicate, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          console.log(`# ${this.name}: no event for ${what}; events so far:`);
          for (const e of this.events) console.log(`#   ${JSON.stringify(e).slice(0, 400)}`);
          for (const l of this.stderr.slice(-15)) console.log(`#   stderr: ${l.slice(0, 400)}`);
          resolve(null);
        }
      }, timeoutMs);
    });
  }

  send(line) {
    this.child.stdin.write(line + "\n");
  }
}

// ---------------------------------------------------------------- http

function request(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }));
    });
    req.on("error", reject);
    if (body != null) req.write(body);
    req.end();
  });
}

function parseSignature(header) {
  const fields = {};
  for (const m of header.matchAll(/([A-Za-z]+)="([^"]*)"/g)) fields[m[1]] = m[2];
  return fields;
}

// ---------------------------------------------------------------- carol

const carolKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const carolPem = carolKeys.publicKey.export({ type: "spki", format: "pem" });
const carolRequests = []; // what the harness asked of carol's server
const carolInbox = []; // what the harness delivered to carol

const carolServer = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    carolRequests.push({ method: req.method, url: req.url, headers: req.headers });
    if (req.method === "GET" && req.url === "/users/carol") {
      res.writeHead(200, { "Content-Type": "application/activity+json" });
      res.end(JSON.stringify(carolActor()));
    } else if (req.method === "POST" && req.url === "/users/carol/inbox") {
      carolInbox.push({ headers: req.headers, body });
      res.writeHead(202);
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
});
await new Promise((resolve) => carolServer.listen(0, "127.0.0.1", resolve));
carolServer.unref();
const carolOrigin = `http://127.0.0.1:${carolServer.address().port}`;
const carol = `${carolOrigin}/users/carol`;

function carolActor() {
  return {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: carol,
    type: "Person",
    preferredUsername: "carol",
    inbox: `${carol}/inbox`,
    publicKey: { id: `${carol}#main-key`, owner: carol, publicKeyPem: carolPem },
  };
}

// POSTs an activity signed as carol, draft-cavage style.
function carolPost(url, activity, { date = new Date(), changeBody } = {}) {
  const target = new URL(url);
  const body = JSON.stringify(activity);
  const headers = {
    host: target.host,
    date: date.toUTCString(),
    digest: `SHA-256=${createHash("sha256").update(body).digest("base64")}`,
    "content-type": "application/activity+json",
  };
  const names = ["host", "date", "digest", "content-type"];
  const signingString = [
    `(request-target): post ${target.pathname}`,
    ...names.map((n) => `${n}: ${headers[n]}`),
  ].join("\n");
  const signature = createSign("sha256").update(signingString).sign(carolKeys.privateKey, "base64");
  headers.signature = `keyId="${carol}#main-key",algorithm="rsa-sha256",` +
    `headers="(request-target) ${names.join(" ")}",signature="${signature}"`;
  return request(url, {
    method: "POST",
    headers,
    body: changeBody ? changeBody(body) : body,
  });
}

function carolNote(text) {
  const id = `${carolOrigin}/creates/${randomUUID()}`;
  return {
    "@context": "https://www.w3.org/ns/activitystreams",
    id,
    type: "Create",
    actor: carol,
    to: ["https://www.w3.org/ns/activitystreams#Public"],
    object: {
      id: `${id}/note`,
      type: "Note",
      attributedTo: carol,
      content: `<p>${text}</p>`,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
    },
  };
}

// ---------------------------------------------------------------- 1: instance A

const a = new Harness("A", ["--port", "0", "--handle", "nobody@127.0.0.1:9"]);
const readyA = await a.waitFor((e) => e.event === "ready", "A ready");
if (!check(readyA != null, "A starts and prints ready")) finish();
const portA = readyA.port;
const actorA = readyA.actor;
check(actorA === `http://127.0.0.1:${portA}/users/alice`, "A's actor URL", actorA);

{
  const res = await request(
    `http://127.0.0.1:${portA}/.well-known/webfinger?resource=${encodeURIComponent(`acct:alice@127.0.0.1:${portA}`)}`,
  );
  let jrd = null;
  try {
    jrd = JSON.parse(res.body);
  } catch { /* checked below */ }
  check(res.status === 200, "WebFinger answers 200", res.status);
  const self = jrd?.links?.find((l) => l.rel === "self");
  check(
    self?.href === actorA && self?.type === "application/activity+json",
    "WebFinger links rel=self to the actor as application/activity+json",
    JSON.stringify(jrd),
  );
}

let actorDoc = null;
{
  const res = await request(actorA, { headers: { Accept: "application/activity+json" } });
  try {
    actorDoc = JSON.parse(res.body);
  } catch { /* checked below */ }
  check(
    res.status === 200 && /^application\/activity\+json/.test(res.headers["content-type"] ?? ""),
    "the actor is served as application/activity+json",
    `${res.status} ${res.headers["content-type"]}`,
  );
  check(
    actorDoc?.type === "Person" && actorDoc?.preferredUsername === "alice" &&
      actorDoc?.inbox === `${actorA}/inbox`,
    "the actor is Person alice with an inbox",
  );
  check(
    actorDoc?.publicKey?.id === `${actorA}#main-key` && actorDoc?.publicKey?.owner === actorA &&
      /BEGIN PUBLIC KEY/.test(actorDoc?.publicKey?.publicKeyPem ?? ""),
    "the actor has a publicKey with id, owner and PEM",
  );
}

{
  const activity = carolNote("unsigned");
  const res = await request(`${actorA}/inbox`, {
    method: "POST",
    headers: { "content-type": "application/activity+json" },
    body: JSON.stringify(activity),
  });
  check(res.status === 401, "an unsigned Create is refused with 401", res.status);
  const rejected = await a.waitFor((e) => e.event === "rejected" && e.status === 401, "rejected");
  check(rejected != null, "A reports the rejection");
}

// ---------------------------------------------------------------- 2: carol

const good = carolNote("signed by hand");
{
  const res = await carolPost(`${actorA}/inbox`, good);
  check(res.status === 202, "a Create signed by hand (rsa-sha256, SHA-256 Digest) is accepted", `${res.status} ${res.body}`);
  const ev = await a.waitFor((e) => e.event === "create" && e.id === good.id, "carol's create");
  check(ev?.actor === carol && ev?.object?.content === "<p>signed by hand</p>", "A reports the verified Create with its object");
  check(ev?.verifiedBy === "http-signature", "A verified it by its HTTP Signature", ev?.verifiedBy);
  const keyFetch = carolRequests.find((r) => r.method === "GET" && r.url === "/users/carol");
  check(
    keyFetch != null && /application\/activity\+json/.test(keyFetch.headers.accept ?? ""),
    "A fetched the keyId's document (fragment dropped) asking for application/activity+json",
    JSON.stringify(carolRequests.map((r) => [r.method, r.url, r.headers.accept])),
  );
}

{
  const activity = carolNote("changed after signing");
  const res = await carolPost(`${actorA}/inbox`, activity, {
    changeBody: (body) => body.replace("changed after signing", "changed AFTER signing"),
  });
  check(res.status === 401, "a body changed after signing is refused", res.status);
  const rejected = await a.waitFor(
    (e) => e.event === "rejected" && e.reasons.some((r) => /digest mismatch/.test(r)),
    "digest mismatch",
  );
  check(rejected != null, "A says why: digest mismatch");
}

{
  const activity = carolNote("too old");
  const res = await carolPost(`${actorA}/inbox`, activity, { date: new Date(Date.now() - 2 * 3600_000) });
  check(res.status === 401, "a Date two hours old is refused", res.status);
}

{
  const activity = { ...carolNote("someone else"), actor: `${carolOrigin}/users/dave` };
  const res = await carolPost(`${actorA}/inbox`, activity);
  check(res.status === 401, "a signer who is not the activity's actor is refused", `${res.status} ${res.body}`);
}

{
  const follow = {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${carolOrigin}/follows/${randomUUID()}`,
    type: "Follow",
    actor: carol,
    object: actorA,
  };
  const res = await carolPost(`${actorA}/inbox`, follow);
  check(res.status === 202, "carol's Follow is accepted", res.status);
  const sent = await a.waitFor((e) => e.event === "sent" && e.type === "Accept" && e.to === carol, "Accept to carol");
  check(sent != null, "A answers carol's Follow with an Accept");
  const delivery = carolInbox.find((d) => JSON.parse(d.body).type === "Accept");
  if (check(delivery != null, "the Accept reached carol's inbox")) {
    const h = delivery.headers;
    const sig = parseSignature(h.signature ?? "");
    check(
      sig.keyId === `${actorA}#main-key` && sig.algorithm === "rsa-sha256",
      "the Accept's Signature names alice's key and rsa-sha256",
      h.signature,
    );
    const names = (sig.headers ?? "").split(" ");
    check(
      ["(request-target)", "host", "date", "digest"].every((n) => names.includes(n)),
      "the Accept's signature covers (request-target), host, date and digest",
      sig.headers,
    );
    const digest = `SHA-256=${createHash("sha256").update(delivery.body).digest("base64")}`;
    check(h.digest === digest, "the Accept's Digest is the SHA-256 of its body", `${h.digest} vs ${digest}`);
    const signingString = names.map((n) =>
      n === "(request-target)" ? `${n}: post /users/carol/inbox` : `${n}: ${h[n]}`
    ).join("\n");
    const ok = createVerify("sha256").update(signingString)
      .verify(actorDoc?.publicKey?.publicKeyPem ?? "", sig.signature ?? "", "base64");
    check(ok, "the Accept's signature verifies with alice's published key");
    const body = JSON.parse(delivery.body);
    check(
      body.actor === actorA && body.object?.id === follow.id,
      "the Accept is alice's and carries carol's Follow",
      delivery.body.slice(0, 300),
    );
  }
}

// ---------------------------------------------------------------- 3: instance B

const b = new Harness("B", ["--port", "0", "--handle", `alice@127.0.0.1:${portA}`]);
const readyB = await b.waitFor((e) => e.event === "ready", "B ready");
if (!check(readyB != null, "B starts and prints ready")) finish();
const actorB = readyB.actor;

b.send("follow");
{
  const found = await b.waitFor((e) => e.event === "found" || e.event === "error", "found");
  check(
    found?.event === "found" && found.actor === actorA && found.inbox === `${actorA}/inbox`,
    "B finds A's actor by WebFinger over http",
    JSON.stringify(found),
  );
  const sent = await b.waitFor((e) => (e.event === "sent" && e.type === "Follow") || e.event === "error", "sent Follow");
  check(sent?.event === "sent", "B's Follow is delivered", JSON.stringify(sent));
  const follow = await a.waitFor((e) => e.event === "follow" && e.actor === actorB, "B's follow");
  check(follow != null && follow.id === sent?.id && follow.object === actorA, "A verifies B's Follow", JSON.stringify(follow));
  // Fedify signs the body too (RsaSignature2017) and checks that first.
  check(follow?.verifiedBy === "ld-signature", "A verified B's Follow by its Linked Data signature", follow?.verifiedBy);
  const accept = await b.waitFor((e) => e.event === "accept", "accept");
  check(
    accept != null && accept.actor === actorA && accept.object?.type === "Follow" &&
      accept.object?.id === sent?.id && accept.object?.actor === actorB,
    "B verifies A's Accept of that Follow",
    JSON.stringify(accept),
  );
}

{
  const inReplyTo = `http://127.0.0.1:${portA}/posts/first`;
  b.send(`reply ${inReplyTo} Hello <world> & "friends"`);
  const sent = await b.waitFor((e) => (e.event === "sent" && e.type === "Create") || e.event === "error", "sent Create");
  check(sent?.event === "sent" && typeof sent.note === "string", "B's reply is delivered", JSON.stringify(sent));
  const ev = await a.waitFor((e) => e.event === "create" && e.actor === actorB, "B's create");
  const note = ev?.object;
  check(
    note?.type === "Note" && note.id === sent?.note && note.inReplyTo === inReplyTo &&
      note.content === "<p>Hello &lt;world&gt; &amp; &quot;friends&quot;</p>" &&
      note.attributedTo === actorB,
    "A verifies the reply: a Note inReplyTo the post, its text escaped in a <p>",
    JSON.stringify(note),
  );
  const to = [note?.to ?? []].flat();
  check(
    to.includes("as:Public") || to.includes("https://www.w3.org/ns/activitystreams#Public"),
    "the reply is addressed to the public",
    JSON.stringify(to),
  );
  check(to.includes(actorA), "the reply is addressed to the followed actor", JSON.stringify(to));
  const fetched = await request(sent?.note ?? actorB, { headers: { Accept: "application/activity+json" } });
  check(fetched.status === 200 && JSON.parse(fetched.body).id === sent?.note, "the reply's Note can be fetched by its id");
}

{
  const liked = `http://127.0.0.1:${portA}/posts/first`;
  b.send(`like ${liked}`);
  const ev = await a.waitFor((e) => e.event === "like" && e.actor === actorB, "B's like");
  check(ev?.object === liked, "A verifies B's Like", JSON.stringify(ev));
}

{
  b.send("unfollow");
  const ev = await a.waitFor((e) => e.event === "undo" && e.actor === actorB, "B's undo");
  check(ev?.object?.type === "Follow", "A verifies B's Undo of the Follow", JSON.stringify(ev));
}

b.send("bogus");
check(
  (await b.waitFor((e) => e.event === "error" && e.command === "bogus", "bogus"))?.error != null,
  "an unknown command is an error event, and the harness goes on",
);

// ---------------------------------------------------------------- the end

const creates = a.events.filter((e) => e.event === "create");
check(creates.length === 2, "A reported only the two verified Creates", creates.map((e) => e.id).join(", "));
check(!a.events.some((e) => e.event === "inbox_error"), "A had no inbox errors");
const unexpected = [...a.events, ...b.events].filter((e) => e.event === "error" && e.command !== "bogus");
check(unexpected.length === 0, "no command failed", JSON.stringify(unexpected));

a.send("quit");
b.send("quit");
check((await a.exited) === 0, "A quits with 0");
check((await b.exited) === 0, "B quits with 0");
finish();
