export interface PublicPackage {
  name: string;
  dir: string;
  manifest: Record<string, any>;
}
export declare const root: string;
export declare function publicPackages(): PublicPackage[];
