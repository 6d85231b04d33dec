/**
 * Reads rows straight from IndexedDB, under Dexie, so a test sees exactly what a person with access to the
 * browser profile would see on disk.
 */
export function readRawRows(dbName: string, storeName: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(dbName);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const request = db.transaction(storeName, 'readonly').objectStore(storeName).getAll();
      request.onerror = () => {
        db.close();
        reject(request.error);
      };
      request.onsuccess = () => {
        db.close();
        resolve(request.result);
      };
    };
  });
}
