/** The fields of a package.json that the scripts and tests read; the rest stays unknown. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
  [field: string]: unknown;
}
export interface PublicPackage {
  name: string;
  dir: string;
  manifest: PackageManifest;
}
export declare const root: string;
export declare function publicPackages(): PublicPackage[];
