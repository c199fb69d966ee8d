// XMPP over WebSocket (RFC 7395) of waitlistd, end to end, with the real xmpp.js client.
//
// Starts waitlistd on free loopback ports in a temporary directory, creates accounts through
// its admin API (POST /v1/accounts), then:
// - logs in with @xmpp/client over ws://.../xmpp-websocket (SCRAM-SHA-1), binds, pings,
//   runs disco#items, disco#info and jabber:iq:agents, and exchanges messages with a second
//   xmpp.js user; a wrong password gets not-authorized;
// - drives raw WebSocket peers: an upgrade without the xmpp subprotocol (400), a malformed
//   message, a message holding half an element, an oversized message, a wrong 'to' - each
//   gets its stream error and <close/> while the xmpp.js session keeps answering pings;
// - starts a second server where the WebSocket does not count as encrypted and checks that
//   neither STARTTLS nor SASL is offered there and PLAIN is refused;
// - stops the first server with SIGTERM: the open stream gets system-shutdown, exit 0.
//
// Prints "RESULT: P passed, F failed" and exits non-zero on any failure.
// Usage: node ws_test.mjs --waitlistd PATH (Node 18 or later)
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// Node 18 (Debian 12's) has neither the global WebSocket nor the global crypto that xmpp.js
// and the raw peers below use: there they are the `ws` package's WebSocket (RFC 6455 done by
// someone else all the same) and node:crypto's webcrypto. They must be in place before
// @xmpp/client loads, hence the dynamic imports.
if (typeof globalThis.WebSocket === "undefined") globalThis.WebSocket = (await import("ws")).WebSocket;
if (typeof globalThis.crypto === "undefined") globalThis.crypto = crypto.webcrypto;
const { client, xml } = await import("@xmpp/client");

const DOMAIN = "example.test";
const MAX_STANZA = 16384;
const PASSWORDS = { alice: "alice-secret", bob: "bob-secret" };
const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`usage: ws_test.mjs --waitlistd PATH (missing ${name})`);
    process.exit(2);
  }
  return path.resolve(process.env.WL_TEST_CWD || ".", process.argv[i + 1]);
}
const WAITLISTD = arg("--waitlistd");
const ADMIN_TOKEN = "ws-test-token";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Below the kernel's ephemeral range, as every test's servers: see tests/support/free_port.py.
function freePort() {
  // run_ws_test.sh names it, as this file runs from a copy in the build directory.
  const tool = process.env.WL_FREE_PORT || fileURLToPath(new URL("../../support/free_port.py", import.meta.url));
  return Promise.resolve(Number(execFileSync("/usr/bin/python3", [tool]).toString().trim()));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

class Server {
  constructor(name, extraToml) {
    this.name = name;
    this.extraToml = extraToml;
  }

  async start() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `wl-ws-${this.name}-`));
    this.httpPort = await freePort();
    this.c2sPort = await freePort();
    this.config = path.join(this.dir, "waitlistd.toml");
    fs.writeFileSync(
      this.config,
      `domain = "${DOMAIN}"
[tls]
cert = "var/cert.pem"
key = "var/key.pem"
[storage]
backend = "sqlite"
path = "var/waitlistd.db"
[c2s]
listen = ["127.0.0.1:${this.c2sPort}"]
allow_plain = true
[http]
listen = ["127.0.0.1:${this.httpPort}"]
admin_token = "${ADMIN_TOKEN}"
${this.extraToml}
[waitlist]
serves = { tel = ["+1"] }
[limits]
max_stanza_bytes = ${MAX_STANZA}
auth_timeout = "20s"
shutdown_grace = "3s"
[log]
level = "${process.env.WL_LOG_LEVEL || "info"}"
`,
    );
    this.logPath = path.join(this.dir, "waitlistd.log");
    const log = fs.openSync(this.logPath, "w");
    this.proc = spawn(WAITLISTD, ["--config", this.config], { stdio: ["ignore", log, log] });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + Number(process.env.WL_START_TIMEOUT || 20) * 1000;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`waitlistd exited at start:\n${this.logText()}`);
      if (await canConnect(this.httpPort)) break;
      if (Date.now() > deadline) throw new Error(`waitlistd does not listen:\n${this.logText()}`);
      await sleep(50);
    }
    this.url = `ws://127.0.0.1:${this.httpPort}/xmpp-websocket`;
    for (const [user, password] of Object.entries(PASSWORDS)) {
      const r = await fetch(`http://127.0.0.1:${this.httpPort}/v1/accounts`, {
        method: "POST",
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ jid: `${user}@${DOMAIN}`, password }),
      });
      if (r.status !== 201) throw new Error(`POST /v1/accounts ${user}: ${r.status} ${await r.text()}`);
    }
  }

  logText() {
    try {
      return fs.readFileSync(this.logPath, "utf8");
    } catch {
      return "";
    }
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 15000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------
// xmpp.js sessions

async function login(url, username, password, { mechanism = "SCRAM-SHA-1", resource } = {}) {
  const offered = [];
  const received = [];
  const waiters = [];
  const xmpp = client({
    service: url,
    domain: DOMAIN,
    username,
    password,
    resource,
    credentials: (authenticate, mechanisms) => {
      offered.push(...mechanisms);
      return authenticate({ username, password }, mechanism);
    },
  });
  xmpp.reconnect.stop();  // a failed login must fail, not retry
  xmpp.on("error", () => {});  // surfaced through start()'s rejection
  xmpp.on("stanza", (stanza) => {
    if (!stanza.is("message")) return;
    received.push(stanza);
    for (const w of waiters.splice(0)) w();
  });
  const address = await withTimeout(xmpp.start(), 15000, `${username} logs in`);
  // Available, so that messages to the bare JID reach this resource (RFC 6121 §8.5.2).
  await xmpp.send(xml("presence"));
  const nextMessage = async (pred, ms = 10000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = received.findIndex(pred);
      if (i >= 0) return received.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${username}: no matching message within ${ms} ms`);
      await withTimeout(new Promise((r) => waiters.push(r)), left, "a message").catch(() => {});
    }
  };
  return { xmpp, address, offered, nextMessage };
}

// The whole result stanza (request() resolves with it; an error stanza rejects).
async function iqGet(xmpp, to, child) {
  return xmpp.iqCaller.request(xml("iq", { type: "get", to }, child), 10000);
}

async function queryGet(xmpp, to, ns) {
  const reply = await iqGet(xmpp, to, xml("query", { xmlns: ns }));
  assert(reply.attrs.type === "result" && reply.attrs.from === to, reply.toString());
  const query = reply.getChild("query", ns);
  assert(query, reply.toString());
  return query;
}

// ---------------------------------------------------------------------------------------
// Raw WebSocket peers (Node's own WebSocket client: RFC 6455 done by someone else)

class RawWs {
  constructor(url, protocols = ["xmpp"]) {
    this.messages = [];
    this.waiters = [];
    this.ws = new WebSocket(url, protocols);
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve());
      this.ws.addEventListener("error", (e) => reject(new Error(`WebSocket error: ${e.message || e.type}`)));
    });
    this.closed = new Promise((resolve) => this.ws.addEventListener("close", (e) => resolve(e.code)));
    this.ws.addEventListener("message", (e) => {
      this.messages.push(String(e.data));
      for (const w of this.waiters.splice(0)) w();
    });
    this.ws.addEventListener("close", () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(text) {
    this.ws.send(text);
  }

  // Waits for a message matching `re`; messages before it are consumed with it.
  async expect(re, ms = 10000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex((m) => re.test(m));
      if (i >= 0) return this.messages.splice(0, i + 1)[i];
      const left = deadline - Date.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`expected ${re}, got ${JSON.stringify(this.messages).slice(-600)}`);
      await new Promise((r) => {
        this.waiters.push(r);
        setTimeout(r, left);
      });
    }
  }

  async openStream(to = DOMAIN) {
    await withTimeout(this.opened, 10000, "WebSocket handshake");
    this.send(`<open xmlns='${NS_FRAMING}' to='${to}' version='1.0'/>`);
    await this.expect(/^<open [^>]*xmlns=['"]urn:ietf:params:xml:ns:xmpp-framing['"]/);
  }

  // A stream error with `condition`, then <close/>, then the WebSocket closes.
  async streamError(condition, ms = 10000) {
    const error = await this.expect(/<(?:stream:)?error[ >]/, ms);
    if (!new RegExp(`<${condition} xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]`).test(error))
      throw new Error(`expected <${condition}/>, got ${error}`);
    await this.expect(new RegExp(`^<close [^>]*xmlns=['"]${NS_FRAMING}['"]`), ms);
    await withTimeout(this.closed, ms, "the server closes the WebSocket");
    return error;
  }

  close() {
    try {
      this.ws.close();
    } catch {
      // already closed
    }
  }
}

// SCRAM-SHA-1 by hand (RFC 5802), for raw peers that must be logged in.
async function rawScramSha1(ws, user, password) {
  const nonce = crypto.randomBytes(12).toString("base64");
  const bare = `n=${user},r=${nonce}`;
  ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${
    Buffer.from(`n,,${bare}`).toString("base64")}</auth>`);
  const challenge = await ws.expect(/<challenge /);
  const first = Buffer.from(/>([^<]*)</.exec(challenge)[1], "base64").toString();
  const attrs = Object.fromEntries(first.split(",").map((kv) => [kv[0], kv.slice(2)]));
  const salted = crypto.pbkdf2Sync(password, Buffer.from(attrs.s, "base64"), Number(attrs.i), 20, "sha1");
  const clientKey = crypto.createHmac("sha1", salted).update("Client Key").digest();
  const storedKey = crypto.createHash("sha1").update(clientKey).digest();
  const withoutProof = `c=biws,r=${attrs.r}`;
  const authMessage = `${bare},${first},${withoutProof}`;
  const signature = crypto.createHmac("sha1", storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, k) => b ^ signature[k])).toString("base64");
  ws.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${
    Buffer.from(`${withoutProof},p=${proof}`).toString("base64")}</response>`);
  const outcome = await ws.expect(/<(success|failure) /);
  return /<success /.test(outcome);
}

// An upgrade request over a bare socket, to read the HTTP answer itself.
function rawUpgrade(port, protocolHeader) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let data = "";
    s.setEncoding("latin1");
    s.on("data", (d) => (data += d));
    s.on("end", () => resolve(data));
    s.on("close", () => resolve(data));
    s.on("error", reject);
    s.setTimeout(10000, () => {
      s.destroy();
      resolve(data);
    });
    s.write(
      "GET /xmpp-websocket HTTP/1.1\r\n" +
        `Host: 127.0.0.1:${port}\r\n` +
        "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        (protocolHeader ? `Sec-WebSocket-Protocol: ${protocolHeader}\r\n` : "") +
        "\r\n",
    );
  });
}

// ---------------------------------------------------------------------------------------

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, true]);
    console.log(`PASS ${name}`);
  } catch (err) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

async function main() {
  const secure = new Server("secure", "websocket_secure = true");
  const plain = new Server("plain", "");
  let alice;
  let bob;
  try {
    await secure.start();

    await check("xmpp.js logs in over WebSocket with SCRAM-SHA-1 and binds the resource it asked for", async () => {
      alice = await login(secure.url, "alice", PASSWORDS.alice, { resource: "ws-alice" });
      assert(alice.address.toString() === `alice@${DOMAIN}/ws-alice`, `bound as ${alice.address}`);
      // xmpp.js lists the offered mechanisms it implements (SCRAM-SHA-1, PLAIN; not -256).
      assert(alice.offered.includes("SCRAM-SHA-1"), `offered ${alice.offered}`);
      assert(/authenticated as alice@example\.test \(SCRAM-SHA-1\)/.test(secure.logText()), "the log names SCRAM-SHA-1");
    });

    await check("a WebSocket counted as secure offers PLAIN when allowed", async () => {
      assert(alice && alice.offered.includes("PLAIN"), `offered ${alice && alice.offered}`);
    });

    await check("ping to the server over WebSocket is answered", async () => {
      const reply = await iqGet(alice.xmpp, DOMAIN, xml("ping", { xmlns: "urn:xmpp:ping" }));
      assert(reply.attrs.type === "result" && reply.attrs.from === DOMAIN, reply.toString());
    });

    await check("disco#items on the domain lists the Waiting List Service", async () => {
      const query = await queryGet(alice.xmpp, DOMAIN, "http://jabber.org/protocol/disco#items");
      const items = query.getChildren("item");
      assert(items.some((i) => i.attrs.name === "Waiting List Service" && i.attrs.jid === `waitlist.${DOMAIN}`),
        query.toString());
    });

    await check("disco#info on the domain names the server and its features", async () => {
      const query = await queryGet(alice.xmpp, DOMAIN, "http://jabber.org/protocol/disco#info");
      const features = query.getChildren("feature").map((f) => f.attrs.var);
      for (const f of ["http://jabber.org/protocol/disco#items", "jabber:iq:agents", "urn:xmpp:ping", "jabber:iq:version"])
        assert(features.includes(f), `missing ${f}: ${query}`);
      assert(query.getChildren("identity").some((i) => i.attrs.category === "server" && i.attrs.type === "im"),
        query.toString());
    });

    await check("jabber:iq:agents returns the XEP-0130 agent entry", async () => {
      const query = await queryGet(alice.xmpp, DOMAIN, "jabber:iq:agents");
      const agent = query.getChildren("agent").find((a) => a.attrs.jid === `waitlist.${DOMAIN}`);
      assert(agent, query.toString());
      assert(agent.getChildText("name") === "Waiting List Service", agent.toString());
      assert(agent.getChildText("service") === "waitinglist", agent.toString());
    });

    await check("two xmpp.js users exchange messages over WebSocket with the sender's full JID stamped", async () => {
      bob = await login(secure.url, "bob", PASSWORDS.bob, { resource: "ws-bob" });
      const body = `hello ${Math.random().toString(16).slice(2)}`;
      await alice.xmpp.send(xml("message", { type: "chat", to: `bob@${DOMAIN}` }, xml("body", {}, body)));
      const got = await bob.nextMessage((m) => m.getChildText("body") === body);
      assert(got.attrs.from === `alice@${DOMAIN}/ws-alice`, got.toString());
      await bob.xmpp.send(xml("message", { type: "chat", to: got.attrs.from }, xml("body", {}, `re: ${body}`)));
      const back = await alice.nextMessage((m) => m.getChildText("body") === `re: ${body}`);
      assert(back.attrs.from === `bob@${DOMAIN}/ws-bob`, back.toString());
    });

    await check("a message just under limits.max_stanza_bytes goes through in one WebSocket message", async () => {
      const body = "z".repeat(MAX_STANZA - 400);
      await alice.xmpp.send(xml("message", { type: "chat", to: `bob@${DOMAIN}/ws-bob` }, xml("body", {}, body)));
      const got = await bob.nextMessage((m) => m.getChildText("body") === body);
      assert(got.attrs.from === `alice@${DOMAIN}/ws-alice`, got.attrs.from);
    });

    await check("a wrong password over WebSocket gets not-authorized", async () => {
      let failure;
      try {
        const s = await login(secure.url, "alice", "wrong-password", { resource: "bad" });
        await s.xmpp.stop();
      } catch (err) {
        failure = err;
      }
      assert(failure && failure.condition === "not-authorized", `got ${failure && (failure.condition || failure.message)}`);
    });

    await check("an upgrade without the xmpp subprotocol is refused with 400", async () => {
      const answer = await rawUpgrade(secure.httpPort, null);
      assert(/^HTTP\/1\.1 400 /.test(answer), answer.slice(0, 200));
      assert(/Sec-WebSocket-Protocol: xmpp/.test(answer), answer);
      const other = await rawUpgrade(secure.httpPort, "chat, superchat");
      assert(/^HTTP\/1\.1 400 /.test(other), other.slice(0, 200));
    });

    await check("an upgrade offering xmpp among others is answered with Sec-WebSocket-Protocol: xmpp", async () => {
      const answer = await rawUpgrade(secure.httpPort, "chat, xmpp");
      assert(/^HTTP\/1\.1 101 /.test(answer), answer.slice(0, 200));
      assert(/\r\nSec-WebSocket-Protocol: xmpp\r\n/i.test(answer), answer);
    });

    await check("a malformed message gets not-well-formed, then <close/>", async () => {
      const ws = new RawWs(secure.url);
      await ws.openStream();
      ws.send("<iq xmlns='jabber:client' type='get' id='m1'><query xmlns='urn:x'></iq>");
      await ws.streamError("not-well-formed");
    });

    await check("a message holding half an element gets not-well-formed", async () => {
      const ws = new RawWs(secure.url);
      await ws.openStream();
      ws.send("<message xmlns='jabber:client' to='bob@example.test'><body>half");
      const error = await ws.streamError("not-well-formed");
      assert(/one complete element/.test(error), error);
    });

    await check("a message over limits.max_stanza_bytes gets policy-violation", async () => {
      const ws = new RawWs(secure.url);
      await ws.openStream();
      ws.send(`<message xmlns='jabber:client' to='bob@example.test'><body>${"x".repeat(MAX_STANZA + 100)}</body></message>`);
      const error = await ws.streamError("policy-violation");
      assert(/max_stanza_bytes/.test(error), error);
    });

    await check("a far larger message is refused the same way without being buffered", async () => {
      const ws = new RawWs(secure.url);
      await ws.openStream();
      ws.send(`<message xmlns='jabber:client'><body>${"y".repeat(8 * 1024 * 1024)}</body></message>`);
      const error = await ws.streamError("policy-violation", 20000);
      assert(/max_stanza_bytes/.test(error), error);
    });

    await check("an <open/> to another domain gets host-unknown", async () => {
      const ws = new RawWs(secure.url);
      await withTimeout(ws.opened, 10000, "WebSocket handshake");
      ws.send(`<open xmlns='${NS_FRAMING}' to='elsewhere.test' version='1.0'/>`);
      await ws.streamError("host-unknown");
    });

    await check("a spoofed 'from' over WebSocket gets invalid-from", async () => {
      const ws = new RawWs(secure.url);
      await ws.openStream();
      await ws.expect(/features/);
      const scram = await rawScramSha1(ws, "bob", PASSWORDS.bob);
      assert(scram, "raw SCRAM-SHA-1 login failed");
      await ws.openStream();
      await ws.expect(/features/);
      ws.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" +
        "<resource>raw</resource></bind></iq>");
      await ws.expect(/<jid>bob@example\.test\/raw<\/jid>/);
      ws.send(`<message xmlns='jabber:client' from='alice@${DOMAIN}/ws-alice' to='alice@${DOMAIN}/ws-alice'>` +
        "<body>spoofed</body></message>");
      await ws.streamError("invalid-from");
      let delivered = null;
      try {
        delivered = await alice.nextMessage((m) => m.getChildText("body") === "spoofed", 500);
      } catch {
        // not delivered: right
      }
      assert(!delivered, `delivered: ${delivered}`);
    });

    await check("STARTTLS is not offered over WebSocket and a stray <starttls/> is refused", async () => {
      const ws = new RawWs(secure.url);
      await ws.openStream();
      const features = await ws.expect(/features/);
      assert(!/starttls/.test(features), features);
      ws.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      await ws.expect(/<failure xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]/);
      ws.close();
    });

    await check("the xmpp.js sessions are unaffected by the hostile peers", async () => {
      for (const s of [alice, bob]) {
        const reply = await iqGet(s.xmpp, DOMAIN, xml("ping", { xmlns: "urn:xmpp:ping" }));
        assert(reply.attrs.type === "result", reply.toString());
      }
    });

    await check("the client's <close/> ends the stream cleanly", async () => {
      await withTimeout(bob.xmpp.stop(), 10000, "bob stops");
      bob = null;
      assert(await waitFor(() => /bob@example\.test\/ws-bob: closed/.test(secure.logText()), 5000),
        "the server did not log the close");
    });

    await plain.start();
    await check("where the WebSocket is not secure and TLS is required, neither STARTTLS nor SASL is offered", async () => {
      const ws = new RawWs(plain.url);
      await ws.openStream();
      const features = await ws.expect(/features/);
      assert(!/starttls|mechanism/.test(features), features);
      ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${
        Buffer.from(`\0alice\0${PASSWORDS.alice}`).toString("base64")}</auth>`);
      await ws.expect(/<failure xmlns=['"]urn:ietf:params:xml:ns:xmpp-sasl['"]><encryption-required/);
      ws.close();
      assert(/http\.websocket_secure is off/.test(plain.logText()), "no warning about the configuration");
    });
    const plainExit = await plain.stop();
    await check("the second server exits 0 on SIGTERM", async () => {
      assert(plainExit.code === 0, JSON.stringify(plainExit));
    });

    await check("SIGTERM closes WebSocket streams with system-shutdown and waitlistd exits 0", async () => {
      const ws = new RawWs(secure.url);
      await ws.openStream();
      await ws.expect(/features/);
      const stopping = secure.stop();
      await ws.streamError("system-shutdown");
      const exit = await stopping;
      assert(exit.code === 0, JSON.stringify(exit));
    });
  } catch (err) {
    results.push(["the test ran to its end", false]);
    console.log(`FAIL the test ran to its end: ${err && err.stack ? err.stack : err}`);
  } finally {
    for (const s of [alice, bob]) if (s) await withTimeout(s.xmpp.stop(), 5000, "stop").catch(() => {});
    await secure.stop().catch(() => {});
    await plain.stop().catch(() => {});
  }
  const failed = results.filter(([, ok]) => !ok).length;
  if (failed) {
    for (const s of [secure, plain]) {
      if (!s.logPath) continue;
      console.log(`--- waitlistd log (${s.name}) ---`);
      console.log(s.logText().split("\n").slice(-80).join("\n"));
    }
  } else {
    for (const s of [secure, plain]) if (s.dir) fs.rmSync(s.dir, { recursive: true, force: true });
  }
  console.log(`RESULT: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

async function waitFor(pred, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (pred()) return true;
    await sleep(50);
  }
  return pred();
}

main();
