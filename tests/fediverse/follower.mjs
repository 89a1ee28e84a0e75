#!/usr/bin/env node
// A fediverse user, "alice", built on Fedify (the ActivityPub framework), that
// follows a Quire blog over plain HTTP on loopback.  The federation tests spawn
// it and talk to it through its standard streams:
//
//   node tests/fediverse/follower.mjs --port P --handle blog@127.0.0.1:Q [--debug]
//
// P is the port of alice's own server on 127.0.0.1 (0 picks a free one; the
// `ready` event tells which), Q the port of the Quire server.  Run `npm ci` in
// this folder first: it pins @fedify/fedify 1.5.9, the last release that
// supports Node 20.  `node tests/fediverse/selftest.mjs` checks this harness
// without Quire.
//
// Standard output carries one JSON object per line, each with an "event":
//   ready     {actor, handle, port, inbox, sharedInbox}      server is listening
//   found     {actor, inbox, sharedInbox, type, preferredUsername, publicKeys}
//   sent      {type, id, to, activity[, note]}               delivery got a 2xx
//   follow | accept | reject | create | update | delete | announce | undo |
//   like | activity (any other type)
//             {id, type, actor, object, activity, recipient, verifiedBy}
//             an activity that reached alice's inbox AND passed Fedify's
//             signature check (Fedify calls inbox listeners only then);
//             `object` and `activity` are the JSON as received (less any
//             Linked Data signature); `recipient` is "alice" for the personal
//             inbox, null for the shared one; `verifiedBy` says which check
//             passed: "http-signature" (the Signature header), "ld-signature"
//             (an RsaSignature2017 in the body, which Fedify tries first) or
//             "object-proof" (a FEP-8b32 proof)
//   rejected  {method, path, status, body, reasons}           an inbox POST that
//             Fedify refused (401 for a missing or bad signature); `reasons`
//             are Fedify's own log messages for that request
//   duplicate {path, body}        an activity id already processed (Fedify
//             drops a repeated activity id for a day, answering 202)
//   inbox_error {error}          Fedify's inbox onError hook
//   error     {command, error, reasons}  a command failed; the harness goes on
//   bye       {}                  just before exiting
//
// Commands, one per line on standard input:
//   follow                        WebFinger the handle, fetch the actor, send Follow
//   reply <object-url> <text...>  send Create{Note} inReplyTo the URL
//   like <object-url>             send Like
//   delete <note-url>             send Delete{Tombstone} of a note alice sent
//   unfollow                      send Undo{Follow} of the last Follow
//   quit                          exit 0 (so does the end of standard input)
//
// Everything is http:// on 127.0.0.1: Fedify is created with
// `allowPrivateAddress: true`, and since WebFinger lookups of an acct: handle
// always use https://, the global fetch is wrapped to rewrite https:// URLs on
// a loopback host to http://.  Signature verification of incoming activities
// stays ON.  Follows that reach alice are accepted at once (signed Accept).
// Fedify's log goes to standard error (info and up; everything with --debug).

import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID, webcrypto } from "node:crypto";
import http from "node:http";
import readline from "node:readline";
import { inspect } from "node:util";

import {
  Accept,
  Activity,
  Announce,
  Create,
  createFederation,
  Delete,
  Endpoints,
  Follow,
  isActor,
  Like,
  MemoryKvStore,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { configure, withFilter } from "@logtape/logtape";

const USER = "alice";

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const args = { port: 0, handle: null, debug: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--port") args.port = Number(argv[++i]);
    else if (a === "--handle") args.handle = argv[++i];
    else if (a === "--debug") args.debug = true;
    else {
      process.stderr.write(`unknown argument: ${a}\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    process.stderr.write("--port must be a port number\n");
    process.exit(2);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------- output

function emit(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

function note(line) {
  process.stderr.write(`[${USER}] ${line}\n`);
}

function errorText(e) {
  if (e instanceof Error) return e.message || String(e);
  return typeof e === "string" ? e : inspect(e);
}

// ---------------------------------------------------------------- logging
// Fedify logs through LogTape.  Each HTTP request and each command runs with
// its own list in `capture`, so the reasons Fedify gives for refusing a
// signature or failing a lookup can be put into the `rejected` and `error`
// events.

const capture = new AsyncLocalStorage();

function renderRecord(record) {
  const text = record.message
    .map((part, i) => {
      if (i % 2 === 0) return part;
      if (typeof part === "string") return part;
      if (part instanceof Error) return errorText(part);
      try {
        return JSON.stringify(part);
      } catch {
        return inspect(part);
      }
    })
    .join("");
  return text.length > 2000 ? text.slice(0, 2000) + "…" : text;
}

await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: {
    stderr: withFilter((record) => {
      const time = new Date(record.timestamp).toISOString().slice(11, 23);
      note(`${time} ${record.level} ${record.category.join(".")}: ${renderRecord(record)}`);
    }, args.debug ? "debug" : "info"),
    capture: (record) => {
      const list = capture.getStore();
      if (list != null) {
        list.push(`${record.category.slice(1).join(".")}: ${renderRecord(record)}`);
      }
    },
  },
  loggers: [
    { category: ["fedify"], lowestLevel: "debug", sinks: ["stderr", "capture"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});

// ---------------------------------------------------------------- fetch
// WebFinger lookups of acct:user@host go to https://host/.well-known/webfinger
// whatever the host is, and Fedify calls the global fetch for them, for
// documents and for deliveries; on a loopback host, https:// becomes http://.

function isLoopback(hostname) {
  return hostname === "localhost" || hostname === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

const realFetch = globalThis.fetch;
globalThis.fetch = async function loopbackFetch(input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.protocol === "https:" && isLoopback(url.hostname)) {
    url.protocol = "http:";
    if (input instanceof Request) {
      const hasBody = input.method !== "GET" && input.method !== "HEAD";
      input = new Request(url, {
        method: input.method,
        headers: input.headers,
        body: hasBody ? await input.arrayBuffer() : undefined,
        redirect: input.redirect,
      });
    } else {
      input = url;
    }
  }
  return realFetch(input, init);
};

// ---------------------------------------------------------------- state

// RSASSA-PKCS1-v1_5 with SHA-256: the only kind Fedify signs HTTP requests
// with, and what Mastodon-style (draft-cavage) signatures use.
const keyPair = await webcrypto.subtle.generateKey(
  {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  },
  true,
  ["sign", "verify"],
);

const objects = new Map(); // "Class/id" -> object alice published
const followers = new Map(); // actor id -> actor
let blog = null; // the actor behind --handle, once looked up
let lastFollow = null; // the Follow alice sent last

function remember(cls, id, object) {
  objects.set(`${cls.name}/${id}`, object);
  return object;
}

// ---------------------------------------------------------------- federation

const federation = createFederation({
  kv: new MemoryKvStore(),
  // No queue: deliveries happen inside sendActivity(), and incoming activities
  // reach the listeners before the inbox answers.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USER) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice",
      summary: "A fediverse user who follows blogs in the federation tests.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      manuallyApprovesFollowers: false,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .mapHandle((_ctx, username) => username === USER ? USER : null)
  .setKeyPairsDispatcher((_ctx, identifier) => identifier === USER ? [keyPair] : []);

federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  (_ctx, identifier) => {
    if (identifier !== USER) return null;
    return { items: [...followers.values()] };
  },
);

for (const [cls, path] of [
  [Note, "/notes/{id}"],
  [Follow, "/follows/{id}"],
  [Accept, "/accepts/{id}"],
  [Create, "/creates/{id}"],
  [Like, "/likes/{id}"],
  [Delete, "/deletes/{id}"],
  [Undo, "/undos/{id}"],
]) {
  federation.setObjectDispatcher(cls, path, (_ctx, { id }) =>
    objects.get(`${cls.name}/${id}`) ?? null);
}

// Which of Fedify's three checks let the activity in, from what Fedify logged
// while handling this request: it tries a Linked Data signature in the body,
// then an Object Integrity Proof, then the HTTP Signature.
function verifiedBy() {
  const log = capture.getStore() ?? [];
  if (log.some((l) => /HTTP Signatures are verified/.test(l))) return "http-signature";
  if (log.some((l) => /Linked Data Signatures are verified/.test(l))) return "ld-signature";
  if (log.some((l) => /Object Integrity Proofs are verified/.test(l))) return "object-proof";
  return null;
}

async function received(event, ctx, activity) {
  const json = await activity.toJsonLd(); // as received
  emit({
    event,
    id: activity.id?.href ?? null,
    type: json?.type ?? null,
    actor: activity.actorId?.href ?? null,
    object: json?.object ?? null,
    activity: json,
    recipient: ctx.recipient ?? null,
    verifiedBy: verifiedBy(),
  });
}

async function acceptFollow(ctx, follow) {
  const follower = await follow.getActor(ctx);
  if (follower == null || !isActor(follower) || follower.id == null) {
    throw new Error(`the actor of ${follow.id?.href} could not be fetched`);
  }
  followers.set(follower.id.href, follower);
  const id = randomUUID();
  const accept = remember(Accept, id, new Accept({
    id: ctx.getObjectUri(Accept, { id }),
    actor: ctx.getActorUri(USER),
    // The Follow as a bare reference, not with the actor fetched above.
    object: new Follow({ id: follow.id, actor: follow.actorId, object: follow.objectId }),
    tos: [follower.id],
  }));
  await ctx.sendActivity({ identifier: USER }, follower, accept);
  emit({
    event: "sent",
    type: "Accept",
    id: accept.id.href,
    to: follower.id.href,
    activity: await accept.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }),
  });
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await received("follow", ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri(USER).href) return;
    // Answer once the inbox has answered the Follow, as servers do.
    const reasons = [];
    setImmediate(() =>
      capture.run(reasons, () =>
        acceptFollow(ctx, follow).catch((e) =>
          emit({ event: "error", command: "accept", error: errorText(e), reasons })
        )
      )
    );
  })
  .on(Accept, (ctx, a) => received("accept", ctx, a))
  .on(Reject, (ctx, a) => received("reject", ctx, a))
  .on(Create, (ctx, a) => received("create", ctx, a))
  .on(Update, (ctx, a) => received("update", ctx, a))
  .on(Delete, (ctx, a) => received("delete", ctx, a))
  .on(Announce, (ctx, a) => received("announce", ctx, a))
  .on(Undo, async (ctx, undo) => {
    await received("undo", ctx, undo);
    if (undo.actorId != null) followers.delete(undo.actorId.href);
  })
  .on(Like, (ctx, a) => received("like", ctx, a))
  .on(Activity, (ctx, a) => received("activity", ctx, a))
  .onError((_ctx, error) => {
    emit({ event: "inbox_error", error: errorText(error) });
  });

// ---------------------------------------------------------------- server

function bridge(req, res) {
  const reasons = [];
  capture.run(reasons, async () => {
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = Buffer.concat(chunks);
      const url = new URL(req.url, `http://${req.headers.host ?? `127.0.0.1:${port}`}`);
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
      }
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(url, {
        method: req.method,
        headers,
        body: hasBody ? body : undefined,
      });
      const response = await federation.fetch(request, {
        contextData: undefined,
        onNotFound: () => new Response("Not found.", { status: 404 }),
        onNotAcceptable: () => new Response("Not acceptable.", { status: 406 }),
      });
      const status = response.status;
      const responseBody = Buffer.from(await response.arrayBuffer());
      if (req.method === "POST") {
        const text = responseBody.toString("utf8");
        if (status >= 400) {
          emit({
            event: "rejected",
            method: req.method,
            path: url.pathname,
            status,
            body: text,
            reasons,
          });
        } else if (/has already been processed/.test(text)) {
          emit({ event: "duplicate", path: url.pathname, body: text });
        }
      }
      res.writeHead(status, Object.fromEntries(response.headers));
      res.end(responseBody);
    } catch (e) {
      emit({ event: "inbox_error", error: errorText(e) });
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end("Internal server error.");
    }
  });
}

const server = http.createServer(bridge);
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(args.port, "127.0.0.1", resolve);
});
const port = server.address().port;
const origin = `http://127.0.0.1:${port}`;

function context() {
  return federation.createContext(new URL(origin), undefined);
}

// ---------------------------------------------------------------- commands

async function lookupBlog(ctx) {
  if (blog != null) return blog;
  if (args.handle == null) throw new Error("no --handle given");
  const handle = args.handle.replace(/^@/, "");
  const resource = handle.startsWith("acct:") ? handle : `acct:${handle}`;
  const actor = await ctx.lookupObject(resource);
  if (actor == null) {
    throw new Error(`${resource}: WebFinger or the actor document gave nothing usable`);
  }
  if (!isActor(actor) || actor.id == null) {
    throw new Error(`${resource} is a ${actor.constructor.name}, not an actor with an id`);
  }
  if (actor.inboxId == null) throw new Error(`${actor.id.href} has no inbox`);
  blog = actor;
  emit({
    event: "found",
    actor: actor.id.href,
    inbox: actor.inboxId.href,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
    type: actor.constructor.name,
    preferredUsername: actor.preferredUsername?.toString() ?? null,
    publicKeys: actor.publicKeyIds.map((id) => id.href),
  });
  return actor;
}

async function send(ctx, type, activity, recipient, extra = {}) {
  await ctx.sendActivity({ identifier: USER }, recipient, activity);
  emit({
    event: "sent",
    type,
    id: activity.id.href,
    to: recipient.id.href,
    ...extra,
    activity: await activity.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }),
  });
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
  })[c]);
}

function parseUrl(text, what) {
  try {
    return new URL(text);
  } catch {
    throw new Error(`${what}: not a URL: ${JSON.stringify(text ?? "")}`);
  }
}

const commands = {
  async follow(ctx) {
    const actor = await lookupBlog(ctx);
    const id = randomUUID();
    const follow = remember(Follow, id, new Follow({
      id: ctx.getObjectUri(Follow, { id }),
      actor: ctx.getActorUri(USER),
      object: actor.id,
      tos: [actor.id],
    }));
    await send(ctx, "Follow", follow, actor);
    lastFollow = follow;
  },

  async reply(ctx, rest) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest);
    if (m == null) throw new Error("usage: reply <object-url> <text...>");
    const target = parseUrl(m[1], "reply");
    const actor = await lookupBlog(ctx);
    const id = randomUUID();
    const published = Temporal.Now.instant();
    const recipients = [PUBLIC_COLLECTION, actor.id];
    const note = remember(Note, id, new Note({
      id: ctx.getObjectUri(Note, { id }),
      attribution: ctx.getActorUri(USER),
      replyTarget: target,
      content: `<p>${escapeHtml(m[2])}</p>`,
      tos: recipients,
      ccs: [ctx.getFollowersUri(USER)],
      published,
      url: ctx.getObjectUri(Note, { id }),
    }));
    const create = remember(Create, id, new Create({
      id: ctx.getObjectUri(Create, { id }),
      actor: ctx.getActorUri(USER),
      object: note,
      tos: recipients,
      ccs: [ctx.getFollowersUri(USER)],
      published,
    }));
    await send(ctx, "Create", create, actor, { note: note.id.href });
  },

  async like(ctx, rest) {
    const target = parseUrl(rest.trim(), "like");
    const actor = await lookupBlog(ctx);
    const id = randomUUID();
    const like = remember(Like, id, new Like({
      id: ctx.getObjectUri(Like, { id }),
      actor: ctx.getActorUri(USER),
      object: target,
      tos: [actor.id],
    }));
    await send(ctx, "Like", like, actor);
  },

  async delete(ctx, rest) {
    const target = parseUrl(rest.trim(), "delete");
    const actor = await lookupBlog(ctx);
    const id = randomUUID();
    const del = remember(Delete, id, new Delete({
      id: ctx.getObjectUri(Delete, { id }),
      actor: ctx.getActorUri(USER),
      object: new Tombstone({ id: target }),
      tos: [PUBLIC_COLLECTION, actor.id],
    }));
    const parsed = ctx.parseUri(target);
    if (parsed?.type === "object" && parsed.class === Note) {
      const key = `Note/${parsed.values.id}`;
      if (objects.has(key)) objects.set(key, new Tombstone({ id: target }));
    }
    await send(ctx, "Delete", del, actor);
  },

  async unfollow(ctx) {
    if (lastFollow == null) throw new Error("unfollow: no Follow was sent");
    const actor = await lookupBlog(ctx);
    const id = randomUUID();
    const undo = remember(Undo, id, new Undo({
      id: ctx.getObjectUri(Undo, { id }),
      actor: ctx.getActorUri(USER),
      object: lastFollow,
      tos: [actor.id],
    }));
    await send(ctx, "Undo", undo, actor);
    lastFollow = null;
  },
};

function quit(code = 0) {
  emit({ event: "bye" });
  server.close();
  server.closeAllConnections?.();
  process.exit(code);
}

async function run(line) {
  const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(line);
  if (m == null) return;
  const [, name, rest] = m;
  if (name === "quit") quit(0);
  const command = Object.hasOwn(commands, name) ? commands[name] : null;
  if (command == null) {
    emit({ event: "error", command: name, error: `unknown command: ${name}`, reasons: [] });
    return;
  }
  const reasons = [];
  try {
    await capture.run(reasons, () => command(context(), rest));
  } catch (e) {
    emit({ event: "error", command: name, error: errorText(e), reasons });
  }
}

process.on("unhandledRejection", (e) => {
  emit({ event: "error", command: null, error: errorText(e), reasons: [] });
});
process.on("SIGTERM", () => quit(0));
process.on("SIGINT", () => quit(0));

// Commands run one after another, in the order they came.
let queue = Promise.resolve();
const input = readline.createInterface({ input: process.stdin, terminal: false });
input.on("line", (line) => {
  queue = queue.then(() => run(line));
});
input.on("close", () => {
  queue.then(() => quit(0));
});

emit({
  event: "ready",
  actor: `${origin}/users/${USER}`,
  handle: `${USER}@127.0.0.1:${port}`,
  port,
  inbox: `${origin}/users/${USER}/inbox`,
  sharedInbox: `${origin}/inbox`,
});
