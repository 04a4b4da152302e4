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
 * The names getElement accepts: with a generated map, the app's instance names and no other (a misspelling, a
 * Type, a Meta or another app's element is a type error at the argument); without one, any name.
 */
export type ElementName = [keyof ElementMap] extends [never] ? string : keyof ElementMap & string;

/** What getElement gives for `Name`: its class from the map, else its category's base class, else `object`. */
export type ElementOf<Name extends string> = Name extends keyof ElementMap
  ? ElementMap[Name]
  : Name extends `${infer Category}.${string}`
    ? Category extends keyof CategoryMap
      ? CategoryMap[Category]
      : object
    : object;
