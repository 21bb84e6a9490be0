// The console's browser phone: DeskPhone, an EventTarget over SIP.js 0.21.2's UserAgent,
// Registerer and Invitation (fetched by `make setup` into /static/vendor; no CDN).
// Its SIP goes through the web app's proxy (/agent/phone/ws), which lets a logged-in
// agent speak only as their own webrtc-NAME; media is DTLS-SRTP straight to Asterisk.
//
// new DeskPhone(config) with config = GET /agent/phone/config
//   {ws_url, uri, username, password, display};
// start(), stop(), answer(), reject(), hangup(), setMuted(bool), setHeld(bool) (Promise),
// sendDtmf(digit) (RFC 4733), transfer(extension) (blind REFER, e.g. "2": tier 2; a
// Promise, resolved once the caller moved and this leg hung up);
// events (CustomEvent): registered, unregistered, registrationFailed {reason},
// incoming {caller}, connected, ended {cause}, held {on}, muted {on};
// state: "offline" | "registered" | "ringing" | "talking" | "held".
import {
  Invitation,
  Registerer,
  RegistererState,
  SessionState,
  UserAgent,
} from "/static/vendor/sip.js/lib/index.js";

const DTMF = /^[0-9*#A-D]$/;

export class DeskPhone extends EventTarget {
  constructor(config) {
    super();
    this.config = config;
    this.state = "offline";
    this.muted = false;
    this._session = null; // the call (an Invitation), null between calls
    this._registerer = null;
    this._audio = new Audio(); // the caller's voice
    this._audio.autoplay = true;
    this._ua = new UserAgent({
      uri: UserAgent.makeURI(config.uri),
      displayName: config.display,
      authorizationUsername: config.username,
      authorizationPassword: config.password,
      transportOptions: { server: config.ws_url },
      // Asterisk on the same network: host candidates only, no STUN server to ask.
      sessionDescriptionHandlerFactoryOptions: {
        peerConnectionConfiguration: { iceServers: [] },
      },
      logLevel: "warn",
      delegate: {
        onInvite: (invitation) => this._incoming(invitation),
        onDisconnect: () => this._offline("disconnected"),
      },
    });
  }

  async start() {
    await this._ua.start();
    this._registerer = new Registerer(this._ua);
    this._registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Registered) {
        if (this.state === "offline") this.state = "registered";
        this._emit("registered");
      } else if (state === RegistererState.Unregistered || state === RegistererState.Terminated) {
        this._offline("unregistered");
      }
    });
    await this._registerer.register({
      requestDelegate: {
        onReject: (response) =>
          this._emit("registrationFailed", {
            reason: `${response.message.statusCode} ${response.message.reasonPhrase}`,
          }),
      },
    });
  }

  async stop() {
    if (this._session) this.hangup();
    if (this._registerer) {
      try {
        await this._registerer.unregister();
      } catch {
        // the socket may be gone already (logout): stopping still goes on
      }
    }
    await this._ua.stop();
    this._offline("unregistered");
  }

  answer() {
    const session = this._session;
    if (!(session instanceof Invitation) || this.state !== "ringing") return;
    return session.accept({
      sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } },
    });
  }

  reject() {
    if (this._session instanceof Invitation && this.state === "ringing") {
      return this._session.reject();
    }
  }

  hangup() {
    const session = this._session;
    if (!session) return;
    if (session.state === SessionState.Established) return session.bye();
    if (session instanceof Invitation) return session.reject();
  }

  setMuted(on) {
    this.muted = Boolean(on);
    this._senders().forEach((sender) => {
      if (sender.track) sender.track.enabled = !this.muted;
    });
    this._emit("muted", { on: this.muted });
  }

  // A re-INVITE with the stream sendonly (on) or sendrecv (off): Asterisk plays music on
  // hold to the caller meanwhile.
  async setHeld(on) {
    const session = this._session;
    if (!session || session.state !== SessionState.Established) {
      throw new Error("no call to hold");
    }
    const options = session.sessionDescriptionHandlerOptionsReInvite || {};
    options.hold = Boolean(on);
    session.sessionDescriptionHandlerOptionsReInvite = options;
    await new Promise((resolve, reject) => {
      session
        .invite({
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: (response) => reject(new Error(`hold refused: ${response.message.statusCode}`)),
          },
        })
        .catch(reject);
    });
    this._senders().forEach((sender) => {
      if (sender.track) sender.track.enabled = !on && !this.muted;
    });
    this.state = on ? "held" : "talking";
    this._emit("held", { on: Boolean(on) });
  }

  sendDtmf(digit) {
    const handler = this._session && this._session.sessionDescriptionHandler;
    if (!handler || !DTMF.test(String(digit))) return false;
    return handler.sendDtmf(String(digit)); // RTCDTMFSender: RFC 4733 events in the RTP
  }

  // Blind transfer: a REFER to sip:EXTENSION@<our domain>; Asterisk takes it in the
  // channel's TRANSFER_CONTEXT (hajj-transfer: 2 and 3 are the tiers' queues). Resolves once
  // Asterisk's NOTIFY says the caller moved (sipfrag 2xx); then this phone hangs up its own
  // leg, as a transferor does (RFC 5589: Asterisk waits for our BYE).
  transfer(extension) {
    const session = this._session;
    if (!session || session.state !== SessionState.Established) {
      return Promise.reject(new Error("no call to transfer"));
    }
    const domain = UserAgent.makeURI(this.config.uri).host;
    const target = UserAgent.makeURI(`sip:${encodeURIComponent(extension)}@${domain}`);
    if (!target) return Promise.reject(new Error(`not an extension: ${extension}`));
    return new Promise((resolve, reject) => {
      const onNotify = (notification) => {
        notification.accept();
        const status = /SIP\/2\.0 (\d{3})/.exec(notification.request.body || "");
        const code = status ? Number(status[1]) : 0;
        if (code < 200) return; // 100 Trying: not yet
        if (code < 300) {
          session.bye().catch(() => {});
          resolve();
        } else {
          reject(new Error(`transfer failed: ${code}`));
        }
      };
      const requestDelegate = {
        onReject: (response) =>
          reject(new Error(`transfer refused: ${response.message.statusCode}`)),
      };
      session.refer(target, { onNotify, requestDelegate }).catch(reject);
    });
  }

  _incoming(invitation) {
    if (this._session) {
      invitation.reject({ statusCode: 486 }); // busy: one call at a time
      return;
    }
    this._session = invitation;
    this.state = "ringing";
    invitation.stateChange.addListener((state) => {
      if (state === SessionState.Established) {
        this._play(invitation);
        this.state = "talking";
        this._emit("connected");
      } else if (state === SessionState.Terminated) {
        this._ended(invitation);
      }
    });
    const who = invitation.remoteIdentity;
    this._emit("incoming", { caller: who.displayName || who.uri.user });
  }

  _ended(session) {
    if (this._session !== session) return;
    this._session = null;
    this._audio.srcObject = null;
    this.muted = false;
    if (this.state !== "offline") this.state = "registered";
    this._emit("ended", { cause: session.isCanceled ? "canceled" : "terminated" });
  }

  _offline(why) {
    if (this.state === "offline") return;
    this.state = "offline";
    this._emit("unregistered", { reason: why });
  }

  _play(session) {
    const connection = session.sessionDescriptionHandler.peerConnection;
    const stream = new MediaStream();
    connection.getReceivers().forEach((receiver) => {
      if (receiver.track) stream.addTrack(receiver.track);
    });
    this._audio.srcObject = stream;
    this._audio.play().catch(() => {}); // autoplay refused: the next click plays it
  }

  _senders() {
    const handler = this._session && this._session.sessionDescriptionHandler;
    return handler && handler.peerConnection ? handler.peerConnection.getSenders() : [];
  }

  _emit(name, detail = {}) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
