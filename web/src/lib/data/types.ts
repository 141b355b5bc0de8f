// Rows the web app reads over REST that are not synced (the synced tables' row types are in
// @sertantai/core).
export type ProviderLink = {
  id: string;
  from_provider_id: string;
  to_provider_id: string;
  relationship_type: string;
  path_weight: number | string;
};
