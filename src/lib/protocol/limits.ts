/**
 * Every limit Hearth enforces, in one place. The relay, the client and the tests import these same constants,
 * so a limit changes in one line and every check and every message that names it follows.
 */

/** Wire protocol version carried in the first byte of every frame and envelope. */
export const PROTOCOL_VERSION = 1;

/** Largest WebSocket frame the relay reads; larger ones get `frame_too_large` and are dropped. */
export const MAX_FRAME_BYTES = 512 * 1024;

/** Largest sealed envelope (header, ciphertext and signature) the relay stores. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;

/** Longest message a person can send, in characters (what the compose box counts). */
export const MAX_MESSAGE_CHARS = 4000;

/** The conversations list keeps this many characters of each conversation's last message (sealed on the device). */
export const SUMMARY_PREVIEW_CHARS = 200;

/**
 * A conversation opens on its latest this-many lines (messages and audit lines), which the device also keeps sealed
 * to show at once; "Show earlier messages" pages back by as many.
 */
export const CONVERSATION_PAGE_ITEMS = 50;

/** Longest display name, in characters. */
export const MAX_NAME_CHARS = 60;

/** Longest conversation topic, in characters. */
export const MAX_TOPIC_CHARS = 120;

/** Shortest passphrase accepted when an account is created. */
export const MIN_PASSPHRASE_CHARS = 8;

/** How long an invite link stays valid after it is made. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Largest sealed invite the relay keeps. */
export const MAX_INVITE_BOX_BYTES = 8 * 1024;

/** Catch-up is sent in pages of at most this many envelopes... */
export const CATCH_UP_PAGE_ENVELOPES = 256;
/** ...or this many bytes, whichever comes first. */
export const CATCH_UP_PAGE_BYTES = 256 * 1024;

/** A socket that has not authenticated within this time is closed. */
export const AUTH_TIMEOUT_MS = 15_000;

/** Sizes of fixed-width fields on the wire. */
export const ROOM_ID_BYTES = 16;
export const ENVELOPE_ID_BYTES = 16;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const NONCE_BYTES = 24;
export const CHALLENGE_BYTES = 32;
export const INVITE_ID_BYTES = 32;

/** Longest error code and error text in an error frame. */
export const MAX_ERROR_TEXT_CHARS = 300;

/** Envelopes per second a device may append, refilled continuously (a token bucket)... */
export const RATE_ENVELOPES_PER_SECOND = 50;
/** ...and how many it may send at once: enough for a phone flushing a long offline queue. */
export const RATE_ENVELOPES_BURST = 400;

/** Rooms one device may belong to. */
export const MAX_ROOMS_PER_DEVICE = 500;

/** Sockets one device may hold open at once. */
export const MAX_CONNECTIONS_PER_DEVICE = 5;
/**
 * Scaled out (REDIS_URL), the relays count a device's sockets together in Redis. A relay refreshes its live sockets
 * there every third of this; the sockets of a relay that died without closing them stop counting after this long.
 */
export const SHARED_SOCKET_TTL_MS = 30_000;

/** Largest attachment or snapshot blob (ciphertext), and the size of each chunk on the wire. */
export const MAX_BLOB_BYTES = 50 * 1024 * 1024;
export const BLOB_CHUNK_BYTES = 256 * 1024;
/** Blobs are addressed by the SHA-256 of their ciphertext. */
export const BLOB_HASH_BYTES = 32;

/** Largest sealed link grant (a person's rooms and keys, for a device being linked). */
export const MAX_GRANT_BYTES = 256 * 1024;
/** How long the relay keeps a link grant for the new device to fetch. */
export const GRANT_TTL_MS = 15 * 60 * 1000;
/** Largest body `POST /devices/revoke` reads. */
export const MAX_REVOKE_BODY_BYTES = 1024;
/** A link id names a grant: a hash of the one-time link secret. */
export const LINK_ID_BYTES = 32;
/** Most devices one identity may link (the first device not counted). */
export const MAX_DEVICES_PER_IDENTITY = 20;

/** Longest Web Push endpoint URL a device may register, in characters (push services use well under 300). */
export const MAX_PUSH_ENDPOINT_CHARS = 1024;
/** A push subscription's keys (RFC 8291): the browser's uncompressed P-256 public key and its auth secret. */
export const PUSH_P256DH_BYTES = 65;
export const PUSH_AUTH_BYTES = 16;
/** Push subscriptions kept per device; registering one more drops the oldest (a browser has one at a time). */
export const MAX_PUSH_SUBSCRIPTIONS_PER_DEVICE = 3;
/** At most one push per device in this window, however many messages arrive in it. */
export const PUSH_COALESCE_MS = 30_000;
/** Upper bound on the relay's signature-checking threads (VERIFY_THREADS; by default one fewer than the cores). */
export const MAX_VERIFY_THREADS = 8;
/** How long a push service may keep an undelivered notification (the TTL header), in seconds. */
export const PUSH_TTL_SECONDS = 24 * 60 * 60;
/** A push endpoint id: the SHA-256 of the endpoint URL's UTF-8 bytes, used as the reply's and errors' ref. */
export const PUSH_ENDPOINT_ID_BYTES = 32;

/** Largest signed membership log entry (a fixed layout of about 250 bytes; the cap leaves room for versions). */
export const MAX_MEMBERSHIP_ENTRY_BYTES = 1024;
/** Most entries one room's membership log may hold: each change is one, so this is plenty for a conversation. */
export const MAX_MEMBERSHIP_ENTRIES = 1024;
/** Largest key bundle: a room key sealed to each member device, plus the earlier keys under the new one. */
export const MAX_KEY_BUNDLE_BYTES = 128 * 1024;
/** Most recipient devices one key bundle may name. */
export const MAX_KEY_BUNDLE_RECIPIENTS = 512;
/** A room key sealed to one device's box key (crypto_box_seal of 32 bytes). */
export const SEALED_ROOM_KEY_BYTES = 32 + 48;
/** Most rooms a ROOM_LIST names (the room limit per device, with room to spare). */
export const MAX_ROOM_LIST = 4096;

/**
 * Longest draft kept (sealed) per conversation, in characters: more than a message may be, so a draft being cut down
 * to size is never lost, but bounded so one paste cannot fill the store.
 */
export const MAX_DRAFT_CHARS = 4 * MAX_MESSAGE_CHARS;

/** Most reply templates one person keeps, and the longest template title (a template's text is a message). */
export const MAX_TEMPLATES = 100;
export const MAX_TEMPLATE_TITLE_CHARS = 80;

/** The lengths, in minutes, a messaging session can be started for. */
export const MESSAGING_SESSION_MINUTES = [15, 30, 45, 60] as const;

/** Most working hours, or working days, a therapist may promise to reply within. */
export const MAX_REPLY_WITHIN = 30;
/** Longest away message (sent as a message, so it also fits `MAX_MESSAGE_CHARS`), in characters. */
export const MAX_AWAY_MESSAGE_CHARS = 1000;
/** Office hours have at most this many open intervals on one day (a morning and an afternoon, and then some). */
export const MAX_OFFICE_INTERVALS_PER_DAY = 4;
/** A client's draft longer than this gets a gentle hint that it may suit their next session. */
export const LONG_MESSAGE_HINT_CHARS = 1200;
/** This many client messages in a row with no reply, within `MESSAGE_BURST_WINDOW_MS`, get a reminder of reply times. */
export const MESSAGE_BURST_COUNT = 3;
export const MESSAGE_BURST_WINDOW_MS = 10 * 60 * 1000;

/**
 * Latest time (ms since 1970) a peer may put on anything it writes into a conversation document: a message, audit
 * line, topic, messaging session or away entry. A later (or negative, or fractional) one fails its schema and the
 * entry is dropped like any unparseable one, so a date no formatter can show never reaches the views.
 */
export const MAX_TIMESTAMP_MS = Date.UTC(2100, 0, 1);

/**
 * How far ahead of this device's clock another device's may run. A messaging session dated further ahead does not
 * count (it would otherwise run, and block new ones, until that time); one within it counts, and runs once its time
 * comes. Which future-dated sessions count thus depends on this device's clock, and only for those.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** A device remembers (sealed, in the room's record) this many of the messaging sessions it counted, the latest. */
export const MAX_KEPT_SESSIONS = 20;

/** Search: a word longer than this is indexed, and searched for, by its first this-many characters. */
export const SEARCH_MAX_TOKEN_CHARS = 32;
/** Longest search query, in characters (what the search box takes). */
export const SEARCH_MAX_QUERY_CHARS = 200;
/** Most results one search shows, newest first; how many match in all is counted besides. */
export const SEARCH_RESULT_LIMIT = 50;
/** Messages per stored part of the search index: a change rewrites one part of at most this many messages. */
export const SEARCH_SEGMENT_MESSAGES = 512;
/** Characters of a message a search result shows around its first matched word. */
export const SEARCH_SNIPPET_CHARS = 160;
