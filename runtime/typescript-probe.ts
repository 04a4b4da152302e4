// Imported only to learn whether this process can load TypeScript already (see typescript-support.js).
export const canLoadTypeScript: boolean = true;
