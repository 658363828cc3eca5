-- KEYS: lock, result key of the run being waited for. ARGV: my token, lock ms.
local r = redis.call('GET', KEYS[2])
if r then return {'done', r} end
local cur = redis.call('GET', KEYS[1])
if cur then return {'wait', cur} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {'run', ARGV[1]}
