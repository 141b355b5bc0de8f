-- Rate limits and login lock-outs shared by every process on this database (N processes must
-- not mean N× the limits). One row per limited key; the key is a SHA-256 of the limiter's name
-- and its subject (address, e-mail, session, actor), so no address or e-mail is stored here.
-- Outside RLS (it is not tenant data) and out of the runtime role's reach: it is read and
-- written only through the SECURITY DEFINER functions below, which take one key at a time and
-- never list. Rows carry their own expiry; rate_limit_sweep deletes expired rows and keeps the
-- table under a row cap, so a hostile client spraying new keys cannot grow it without bound.
-- Times are passed in (p_now) so that every process, and tests, use one clock.

CREATE TABLE rate_limit_state (
  key text PRIMARY KEY CHECK (length(key) <= 100),
  -- token bucket: tokens left at last_at
  tokens double precision,
  -- failure backoff: failures counted since the key was last forgotten, and the lock they set
  failures integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  last_at timestamptz NOT NULL,
  -- after this the row restricts nothing (bucket full again / failures forgotten)
  expires_at timestamptz NOT NULL
);
CREATE INDEX rate_limit_state_expires_idx ON rate_limit_state (expires_at);
REVOKE ALL ON rate_limit_state FROM PUBLIC;

-- Token bucket: p_limit requests per p_window_seconds, refilled continuously. Takes one token;
-- returns 0 when allowed, otherwise the seconds until a token is available.
CREATE FUNCTION rate_limit_take(p_key text, p_limit integer, p_window_seconds double precision, p_now timestamptz)
  RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  per_second double precision := p_limit / p_window_seconds;
  current_tokens double precision;
  last_seen timestamptz;
BEGIN
  INSERT INTO public.rate_limit_state (key, tokens, last_at, expires_at)
  VALUES (p_key, p_limit, p_now, p_now) ON CONFLICT (key) DO NOTHING;
  SELECT s.tokens, s.last_at INTO current_tokens, last_seen
    FROM public.rate_limit_state s WHERE s.key = p_key FOR UPDATE;
  -- A row left by the failure backoff under the same key cannot happen (keys carry the
  -- limiter's name); a NULL here is a fresh bucket.
  current_tokens := least(p_limit, coalesce(current_tokens, p_limit)
    + greatest(0, extract(epoch FROM p_now - last_seen)) * per_second);
  IF current_tokens < 1 THEN
    UPDATE public.rate_limit_state
       SET tokens = current_tokens, last_at = greatest(last_seen, p_now),
           expires_at = p_now + make_interval(secs => (p_limit - current_tokens) / per_second)
     WHERE key = p_key;
    RETURN greatest(1, ceil((1 - current_tokens) / per_second))::integer;
  END IF;
  UPDATE public.rate_limit_state
     SET tokens = current_tokens - 1, last_at = greatest(last_seen, p_now),
         expires_at = p_now + make_interval(secs => (p_limit - current_tokens + 1) / per_second)
   WHERE key = p_key;
  RETURN 0;
END $$;

-- Failure backoff, read side: the seconds the key is still locked (0 = not locked) and the
-- failures it has counted. A forgotten (expired) row counts as nothing.
CREATE FUNCTION rate_limit_backoff(p_key text, p_now timestamptz)
  RETURNS TABLE (retry_after integer, failures integer)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT coalesce((SELECT CASE WHEN s.locked_until > p_now
                               THEN greatest(1, ceil(extract(epoch FROM s.locked_until - p_now)))::integer
                               ELSE 0 END
                     FROM rate_limit_state s WHERE s.key = p_key AND s.expires_at > p_now), 0),
         coalesce((SELECT s.failures FROM rate_limit_state s
                    WHERE s.key = p_key AND s.expires_at > p_now), 0)
$$;

-- Failure backoff, write side: counts one failure; past p_free failures the key is locked for
-- p_base_seconds · 2^n (capped at p_max_seconds). The failures are forgotten p_forget_seconds
-- after the later of this failure and the end of its lock. Returns the failures counted.
CREATE FUNCTION rate_limit_fail(p_key text, p_free integer, p_base_seconds double precision,
                                p_max_seconds double precision, p_forget_seconds double precision,
                                p_now timestamptz)
  RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  counted integer;
  lock_end timestamptz;
  over integer;
BEGIN
  INSERT INTO public.rate_limit_state (key, failures, last_at, expires_at)
  VALUES (p_key, 0, p_now, p_now) ON CONFLICT (key) DO NOTHING;
  SELECT CASE WHEN s.expires_at > p_now THEN s.failures ELSE 0 END,
         CASE WHEN s.expires_at > p_now THEN s.locked_until END
    INTO counted, lock_end
    FROM public.rate_limit_state s WHERE s.key = p_key FOR UPDATE;
  counted := counted + 1;
  over := counted - p_free;
  IF over > 0 THEN
    lock_end := greatest(lock_end, p_now + make_interval(secs =>
      least(p_max_seconds, p_base_seconds * power(2, least(over - 1, 30)))));
  END IF;
  UPDATE public.rate_limit_state
     SET failures = counted, locked_until = lock_end, last_at = p_now,
         expires_at = greatest(coalesce(lock_end, p_now), p_now) + make_interval(secs => p_forget_seconds)
   WHERE key = p_key;
  RETURN counted;
END $$;

CREATE FUNCTION rate_limit_clear(p_key text) RETURNS void
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  DELETE FROM rate_limit_state WHERE key = p_key
$$;

-- Deletes rows that no longer restrict anything, then, if more than p_max_rows remain, the
-- ones closest to expiry. Returns how many rows went.
CREATE FUNCTION rate_limit_sweep(p_now timestamptz, p_max_rows integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  expired integer;
  excess integer;
BEGIN
  DELETE FROM public.rate_limit_state WHERE expires_at <= p_now;
  GET DIAGNOSTICS expired = ROW_COUNT;
  SELECT count(*) - p_max_rows INTO excess FROM public.rate_limit_state;
  IF excess > 0 THEN
    DELETE FROM public.rate_limit_state WHERE key IN (
      SELECT key FROM public.rate_limit_state ORDER BY expires_at LIMIT excess);
    RETURN expired + excess;
  END IF;
  RETURN expired;
END $$;

DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'rate_limit_take(text, integer, double precision, timestamptz)',
    'rate_limit_backoff(text, timestamptz)',
    'rate_limit_fail(text, integer, double precision, double precision, double precision, timestamptz)',
    'rate_limit_clear(text)',
    'rate_limit_sweep(timestamptz, integer)'
  ] LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END $$;
GRANT EXECUTE ON FUNCTION rate_limit_take(text, integer, double precision, timestamptz) TO {{app_role}};
GRANT EXECUTE ON FUNCTION rate_limit_backoff(text, timestamptz) TO {{app_role}};
GRANT EXECUTE ON FUNCTION rate_limit_fail(text, integer, double precision, double precision, double precision, timestamptz) TO {{app_role}};
GRANT EXECUTE ON FUNCTION rate_limit_clear(text) TO {{app_role}};
GRANT EXECUTE ON FUNCTION rate_limit_sweep(timestamptz, integer) TO {{app_role}};
