// Keeps the last synced rows of each shape in IndexedDB so the app opens with data offline and
// after a reload. One record per (user, table); cleared on sign-out. In tests and browsers
// without IndexedDB a Map stands in.

export type CachedShape = { rows: Record<string, unknown>[]; savedAt: number };

export interface ShapeCache {
  load(key: string): Promise<CachedShape | undefined>;
  save(key: string, value: CachedShape): Promise<void>;
  clear(): Promise<void>;
}

export function memoryCache(): ShapeCache {
  const store = new Map<string, CachedShape>();
  return {
    async load(key) {
      return store.get(key);
    },
    async save(key, value) {
      store.set(key, value);
    },
    async clear() {
      store.clear();
    },
  };
}

const DB_NAME = 'sertantai-shapes';
const STORE = 'shapes';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function indexedDbCache(): ShapeCache {
  if (typeof indexedDB === 'undefined') return memoryCache();
  let opening: Promise<IDBDatabase> | undefined;
  const open = () => {
    opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => {
        const db = req.result;
        db.onversionchange = () => {
          db.close();
          opening = undefined;
        };
        resolve(db);
      };
      req.onerror = () => {
        opening = undefined;
        reject(req.error);
      };
    });
    return opening;
  };
  return {
    async load(key) {
      try {
        const db = await open();
        return (await request(db.transaction(STORE).objectStore(STORE).get(key))) as CachedShape | undefined;
      } catch {
        return undefined;
      }
    },
    async save(key, value) {
      try {
        const db = await open();
        await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put(value, key));
      } catch {
        // A full or blocked store only costs the offline copy.
      }
    },
    async clear() {
      try {
        const db = await open();
        await request(db.transaction(STORE, 'readwrite').objectStore(STORE).clear());
      } catch {
        // nothing to clear
      }
    },
  };
}
