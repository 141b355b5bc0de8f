-- Predictions written in one transaction share predicted_at (the request's clock), so "latest"
-- needs a tie-breaker that follows insertion order.
ALTER TABLE risk_predictions ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
DROP INDEX risk_predictions_control_idx;
CREATE INDEX risk_predictions_control_idx ON risk_predictions (control_id, predicted_at DESC, seq DESC);
