-- The controls list's default order (GET /api/controls: case-insensitive name, then id) read
-- straight from an index within the organisation, so a page of 50 never sorts the whole
-- register; keyset cursors on the same expression use it too.
CREATE INDEX controls_org_name_order_idx ON controls (organization_id, lower(name), id);
