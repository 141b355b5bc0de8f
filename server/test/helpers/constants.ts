export const TEST_SECRET = 'test-secret-for-sertantai-controls-0123456789abcdef';
