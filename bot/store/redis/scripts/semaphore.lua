-- One script for every semaphore operation, so purging, queueing and granting stay atomic.
-- Returns: join/join_first/poll/give_up → 0 granted, n > 0 waiting at position n, -1 no longer queued
-- (expired: join again), -2 gave up; release/leave/renew → 1 when the member was there, else 0;
-- usage → {holders, waiters}.
-- Relief (ARGV[9] > 0): when every holder got its slot at least ARGV[9] ms ago (S holds each
-- holder's grant time) and fewer than ARGV[10] hold one, the queue may use up to ARGV[10].
local H, Q, A, T, S = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local op, id = ARGV[1], ARGV[2]
local limit = tonumber(ARGV[3])
local lease_ms, waiter_ms, keep_ms = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local relief_ms, relief_limit = tonumber(ARGV[9]), tonumber(ARGV[10])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if op == 'usage' then
  return {redis.call('ZCOUNT', H, '(' .. now, '+inf'), redis.call('ZCOUNT', A, '(' .. now, '+inf')}
end
local expired = redis.call('ZRANGEBYSCORE', H, '-inf', now)
local changed = #expired > 0
for _, h in ipairs(expired) do redis.call('ZREM', S, h) end
if changed then redis.call('ZREMRANGEBYSCORE', H, '-inf', now) end
local dead = redis.call('ZRANGEBYSCORE', A, '-inf', now)
for _, w in ipairs(dead) do redis.call('ZREM', Q, w) end
if #dead > 0 then
  redis.call('ZREMRANGEBYSCORE', A, '-inf', now)
  changed = true
end
local result
if op == 'release' or op == 'leave' then
  result = redis.call('ZREM', H, id)
  redis.call('ZREM', S, id)
  if op == 'leave' then
    result = result + redis.call('ZREM', Q, id)
    redis.call('ZREM', A, id)
  end
  if result > 0 then changed = true end
elseif op == 'renew' then
  result = redis.call('ZSCORE', H, id) and 1 or 0
  redis.call('ZADD', H, now + lease_ms, id)
  if result == 0 then redis.call('ZADD', S, now, id) end  -- back after an expiry: young again
else
  if op == 'join' or op == 'join_first' then
    -- A first waiter (a dial) ranks ahead of every plain one, in arrival order among its kind.
    local ticket = redis.call('INCR', T)
    if op == 'join_first' then ticket = ticket - 1e12 end
    redis.call('ZADD', Q, ticket, id)
    redis.call('ZADD', A, now + waiter_ms, id)
  end
  if redis.call('ZSCORE', H, id) then
    result = 0
  elseif not redis.call('ZSCORE', Q, id) then
    result = -1
  else
    local held = redis.call('ZCARD', H)
    local free = limit - held
    if free <= 0 and relief_ms > 0 and held > 0 and held < relief_limit
        and redis.call('ZCARD', S) == held then
      local youngest = redis.call('ZRANGE', S, -1, -1, 'WITHSCORES')
      if now - tonumber(youngest[2]) >= relief_ms then free = relief_limit - held end
    end
    local rank = redis.call('ZRANK', Q, id)
    if rank < free then
      redis.call('ZREM', Q, id)
      redis.call('ZREM', A, id)
      redis.call('ZADD', H, now + lease_ms, id)
      redis.call('ZADD', S, now, id)
      result = 0
    elseif op == 'give_up' then
      redis.call('ZREM', Q, id)
      redis.call('ZREM', A, id)
      changed = true
      result = -2
    else
      redis.call('ZADD', A, now + waiter_ms, id)
      if free < 0 then free = 0 end
      result = rank - free + 1
    end
  end
end
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, keep_ms) end
if changed then redis.call('PUBLISH', ARGV[7], ARGV[8]) end
return result
