export const TEST_SECRET = 'test-secret-for-sertantai-controls-0123456789abcdef';
export const TEST_INTERNAL_SYNC_SECRET = 'test-internal-sync-secret-0123456789abcdef';
