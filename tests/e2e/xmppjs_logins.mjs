// Logs in with the npm client @xmpp/client (xmpp.js) at its default
// settings, `count` times one after the other, and prints one JSON line per
// login: {"ok":true,"ms":12.3,"mechanism":"SCRAM-SHA-1"} or
// {"ok":false,"error":"..."}. Run from a folder where @xmpp/client is
// installed; the server's certificate is trusted through NODE_EXTRA_CA_CERTS.
//
// usage: node xmppjs_logins.mjs PORT DOMAIN USERNAME PASSWORD COUNT
import { client, xml } from "@xmpp/client";

const [port, domain, username, password, count] = process.argv.slice(2);

async function loginOnce() {
  const xmpp = client({ service: `xmpp://127.0.0.1:${port}`, domain, username, password });
  let mechanism = "";
  xmpp.on("error", () => {});  // reported through start()'s rejection
  xmpp.on("send", (element) => {
    if (element.name === "auth" || element.name === "authenticate") {
      mechanism = element.attrs.mechanism ?? "";
    }
  });
  const started = performance.now();
  const timeout = setTimeout(() => xmpp.stop().catch(() => {}), 10000);
  try {
    const address = await xmpp.start();
    const ms = performance.now() - started;
    // A round trip on the bound session: the server answers a ping.
    await xmpp.iqCaller.request(
      xml("iq", { type: "get", to: domain }, xml("ping", { xmlns: "urn:xmpp:ping" })), 5000);
    console.log(JSON.stringify({ ok: true, ms, jid: address.toString(), mechanism }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: String(error?.condition ?? error?.message ?? error) }));
  } finally {
    clearTimeout(timeout);
    await xmpp.stop().catch(() => {});
  }
}

for (let i = 0; i < Number(count); i++) await loginOnce();
