// The Lua scripts behind the shared device limits. Each runs atomically in Redis, so a check and the write it allows
// cannot interleave with another relay's: two relays taking a device's last socket slot, or its last append tokens,
// at the same moment get one yes and one no. Each touches one key, so they also run on a Redis Cluster.

// Redis's clock in ms: every relay reads the same one, so a relay's own clock skew cannot shorten another's expiries.
const NOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/**
 * KEYS[1] a device's sockets (a sorted set of `<process origin>:<connection id>` scored by expiry); ARGV member,
 * max, ttl ms → 1 when the socket is counted, 0 when the device already holds `max` sockets that have not lapsed.
 */
export const ACQUIRE_SOCKET = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * KEYS[1] a device's sockets; ARGV ttl ms, then members: each live socket of one process counts for ttl more. One
 * that lapsed while Redis was unreachable is counted again, even over the maximum: the socket is open.
 */
export const REFRESH_SOCKETS = `${NOW}
local expires = now + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expires, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
`;

// A device's append bucket: a hash of `tokens` and `at` (ms, when they were counted), refilled `perSecond` up to
// `burst`. A missing key is a full bucket, so the key expires once the bucket would be full again.
const REFILL = `${NOW}
local perSecond = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * perSecond / 1000)
`;

// At most 30 days: a test's bucket that refills once in hours still gets a valid expiry.
const STORE = `
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.min(2592000000, math.ceil((burst - tokens) * 1000 / perSecond) + 1))
`;

/**
 * KEYS[1] a device's bucket; ARGV per second, burst, want → {granted, 0} with 1 ≤ granted ≤ want tokens taken, or
 * {0, ms until there is one} when the bucket holds less than one.
 */
export const LEASE_TOKENS = `${REFILL}
local granted = math.min(tonumber(ARGV[3]), math.floor(tokens))
tokens = tokens - granted
${STORE}
if granted > 0 then return {granted, 0} end
return {0, math.ceil((1 - tokens) * 1000 / perSecond)}
`;

/** KEYS[1] a device's bucket; ARGV per second, burst, count: put back `count` leased tokens (never above burst). */
export const RETURN_TOKENS = `${REFILL}
tokens = math.min(burst, tokens + tonumber(ARGV[3]))
${STORE}
return 0
`;
