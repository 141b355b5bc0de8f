-- Subset snapshots (sync/subset.ts) order text by code point (COLLATE "C", as the where compares
-- text) and break ties by id: the register's pages by name, synced on demand, are then read in
-- order from this index instead of sorting the organisation's whole register for each page.
CREATE INDEX controls_org_name_code_point_idx ON controls (organization_id, (name COLLATE "C"), id);
