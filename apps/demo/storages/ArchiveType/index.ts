// A custom Type, as an app writes one: the official OSS storage plus one method of its own.
import { OssStorage } from "jit-elements";

interface ArchiveConfig {
  archivePrefix: string;
}

/** OSS storage that can move an object into the archive folder. */
export default class ArchiveStorage extends OssStorage {
  /** Moves `name` under the archive folder (copy, then delete) and returns its new name. */
  async archive(name: string): Promise<string> {
    const { archivePrefix } = this.config as typeof this.config & ArchiveConfig;
    const archived = `${archivePrefix}${name}`;
    await this.copy(name, archived);
    await this.delete(name);
    return archived;
  }
}
