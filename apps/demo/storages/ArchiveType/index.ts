// A custom Type, as an app writes one: the official OSS storage plus one method of its own.
import { OssStorage, type OssConfig } from "jit-elements";

/** OSS storage that can move an object into the archive folder. */
export default class ArchiveStorage extends OssStorage<OssConfig & { archivePrefix: string }> {
  /** Moves `name` under the archive folder (copy, then delete) and returns its new name. */
  async archive(name: string): Promise<string> {
    const archived = `${this.config.archivePrefix}${name}`;
    await this.copy(name, archived);
    await this.delete(name);
    return archived;
  }
}
