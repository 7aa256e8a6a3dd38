import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Linux filesystem types (statfs `f_type`) of local disks and memory, where a `stat` answers in
 * microseconds: ext2/3/4, XFS, btrfs, tmpfs, overlayfs (containers), ZFS, F2FS.
 */
const LOCAL_FILESYSTEM_TYPES: ReadonlySet<number> = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0x2fc12fc1, 0xf2f52010]);

/**
 * Whether `path` (or, while it does not exist yet, the nearest folder above it that does) lies on
 * a local Linux filesystem. False elsewhere, and for network and FUSE filesystems (NFS, SMB,
 * Azure Files, blobfuse), where a `stat` can block for as long as the server does not answer:
 * the folder store asks those on a thread only (file-threads.ts).
 */
export function isLocalFilesystem(path: string, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') return false;
  for (let at = resolve(path); ; at = dirname(at)) {
    try {
      return LOCAL_FILESYSTEM_TYPES.has(statfsSync(at).type);
    } catch (thrown) {
      if ((thrown as { code?: unknown }).code !== 'ENOENT' || dirname(at) === at) return false;
    }
  }
}
