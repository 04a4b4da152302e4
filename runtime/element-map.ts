// The types of getElement: an app's names and classes (from the map typegen writes) and each category's base class.

/**
 * fullName → instance type. Empty here; `jit-elements typegen` writes a declaration file that adds an app's
 * instances (`"storages.MyOss": OssStorage`). Once it lists a name, getElement accepts its names only.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ElementMap {}

/** Category → the interface every element of it has; a category's base module adds itself here. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface CategoryMap {}

/**
 * fullName → class of the instances the official layer itself declares (`storages.services.StorageSvc`), which every
 * app has: their modules add themselves here, so they are typed even where an app has no generated map.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface OfficialElementMap {}

/**
 * The names getElement accepts: with a generated map, the app's instance names and no other (a misspelling, a
 * Type, a Meta or another app's element is a type error at the argument); without one, any name.
 */
export type ElementName = [keyof ElementMap] extends [never] ? string : keyof ElementMap & string;

/**
 * What getElement gives for `Name`: its class from the app's map or the official one, else its category's base
 * class, else `object`. A nested name (`storages.services.StorageSvc`) may belong to another family than its first segment says, so only
 * the map types it.
 */
export type ElementOf<Name extends string> = Name extends keyof ElementMap
  ? ElementMap[Name]
  : Name extends keyof OfficialElementMap
    ? OfficialElementMap[Name]
    : Name extends `${string}.${string}.${string}`
      ? object
      : Name extends `${infer Category}.${string}`
        ? Category extends keyof CategoryMap
          ? CategoryMap[Category]
          : object
        : object;
