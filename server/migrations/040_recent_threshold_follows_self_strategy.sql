-- The Recent/Distant threshold is the Self verification strategy's frequency: a control stays
-- Self (or Service) only while it is touched at least that often. organizations.recent_threshold_days
-- is kept as the value the quadrant rules, the sync shape and the dashboard read, and this
-- trigger keeps it equal to the Self strategy's frequency_days — one setting, edited in one place.
CREATE FUNCTION recent_threshold_from_self_strategy() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.quadrant = 'self' THEN
    UPDATE organizations SET recent_threshold_days = NEW.frequency_days
    WHERE id = NEW.organization_id AND recent_threshold_days IS DISTINCT FROM NEW.frequency_days;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER verification_strategies_recent_threshold
  AFTER INSERT OR UPDATE OF frequency_days, quadrant ON verification_strategies
  FOR EACH ROW EXECUTE FUNCTION recent_threshold_from_self_strategy();

COMMENT ON COLUMN organizations.recent_threshold_days IS
  'Derived: the Self verification strategy''s frequency_days (trigger verification_strategies_recent_threshold).';
