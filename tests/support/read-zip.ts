// Reads a .zip back with yauzl (a reader independent of the writer), checking each entry's CRC-32 itself:
// yauzl does not verify CRCs.
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';

export interface ReadEntry {
  data: Buffer;
  crc: number;
  mtime: Date;
}

export function readZip(file: string): Promise<Map<string, ReadEntry>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const out = new Map<string, ReadEntry>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            const data = Buffer.concat(chunks);
            if (crc32(data) !== entry.crc32) return reject(new Error(`${entry.fileName}: CRC-32 ${entry.crc32} in the archive, ${crc32(data)} of its data`));
            out.set(entry.fileName, { data, crc: entry.crc32, mtime: entry.getLastModDate() });
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** The entry count the archive's end records give (zip64's where present), without reading the entries. */
export function zipEntryCount(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      resolve(zip.entryCount);
      zip.close();
    });
  });
}
