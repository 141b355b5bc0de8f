-- Invitations no longer create a user row up front: an invitation carries the e-mail, role and
-- name, and the user is created when it is accepted. So inviting an address answers the same
-- whether or not that address has an account elsewhere (no enumeration), and an unaccepted
-- invitation holds no address (no squatting): it simply expires. Rows from before this
-- migration (user_id set, the user waiting with no password) keep working.
-- The same table carries password-reset links an owner or admin makes for a member (kind
-- 'password_reset', user_id set): one-time, expiring, accepted like an invitation.
ALTER TABLE invitations
  ALTER COLUMN user_id DROP NOT NULL,
  ADD COLUMN kind text NOT NULL DEFAULT 'invitation' CHECK (kind IN ('invitation', 'password_reset')),
  ADD COLUMN email text CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email = lower(email))),
  ADD COLUMN role text CHECK (role IS NULL OR role IN ('owner', 'admin', 'member', 'viewer')),
  ADD COLUMN name text CHECK (name IS NULL OR length(name) <= 200),
  ADD CONSTRAINT invitations_target CHECK (
    (kind = 'invitation' AND (user_id IS NOT NULL OR (email IS NOT NULL AND role IS NOT NULL)))
    OR (kind = 'password_reset' AND user_id IS NOT NULL));

-- One open invitation per address in an organisation (an expired one is deleted when the
-- address is invited again), and one open reset link per member.
CREATE UNIQUE INDEX invitations_open_email_idx ON invitations (organization_id, email)
  WHERE accepted_at IS NULL AND email IS NOT NULL;
CREATE UNIQUE INDEX invitations_open_reset_idx ON invitations (user_id)
  WHERE accepted_at IS NULL AND kind = 'password_reset';

ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check CHECK (revoked_reason IN (
  'logout', 'logout_global', 'reuse_detected', 'member_removed', 'role_changed', 'expired',
  'password_changed', 'password_reset', 'admin'));
