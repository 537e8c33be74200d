// The package reader's public face: read a csx folder, .cspkg or .csdef (+ .cscfg) into a checked ServiceModel.
export { readServicePackage, detectKind, type PackageKind, type PackageReadResult, type ReadPackageOptions } from './package-reader';
export { readServiceSources, type ServiceSources, type SourceFile } from './service-reader';
export { safeUnzip, defaultZipLimits, type ZipLimits, type UnzipResult } from './safe-unzip';
