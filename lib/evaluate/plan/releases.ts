/**
 * Upstream vpc-cni releases, as a self-managed install needs them: the Helm chart that installs
 * each release and the network policy agent it runs. Pure facts.
 *
 * Sources, read at each release tag (2026-08):
 * - `chart`: the aws-vpc-cni chart version published in the eks-charts Helm repository
 *   (https://aws.github.io/eks-charts, index.yaml of aws/eks-charts) whose appVersion is the
 *   release; null when none was published (1.10.4, 1.11.5, 1.20.5, 1.22.0, 1.22.1, 1.23.0, ...).
 *   The chart numbers follow the release only from 1.13.0 (1.12.6 is chart 1.2.8).
 * - `agent`: the aws-network-policy-agent tag of the release manifest
 *   (aws/amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml), since 1.14.0 when the agent joined
 *   the aws-node DaemonSet: a self-managed upgrade moves it too (1.23.0 runs agent v1.4.1).
 */
export interface UpstreamRelease {
  /** `1.18.6` */
  version: string;
  /** The eks-charts chart version that installs it; null when none was published. */
  chart: string | null;
  /** The network policy agent tag (`v1.1.4`); null before 1.14.0. */
  agent: string | null;
}

const RELEASES: [version: string, chart: string | null, agent: string | null][] = [
  ['1.7.0', null, null],
  ['1.7.1', null, null],
  ['1.7.2', null, null],
  ['1.7.3', '1.1.0', null],
  ['1.7.4', null, null],
  ['1.7.5', '1.1.5', null],
  ['1.7.6', null, null],
  ['1.7.7', null, null],
  ['1.7.8', null, null],
  ['1.7.9', null, null],
  ['1.7.10', '1.1.6', null],
  ['1.8.0', '1.1.7', null],
  ['1.9.0', '1.1.8', null],
  ['1.9.1', '1.1.9', null],
  ['1.9.3', '1.1.10', null],
  ['1.10.0', null, null],
  ['1.10.1', '1.1.12', null],
  ['1.10.2', '1.1.14', null],
  ['1.10.3', '1.1.15', null],
  ['1.10.4', null, null],
  ['1.11.0', '1.1.16', null],
  ['1.11.2', '1.1.17', null],
  ['1.11.3', '1.1.20', null],
  ['1.11.4', '1.1.21', null],
  ['1.11.5', null, null],
  ['1.12.0', '1.2.0', null],
  ['1.12.1', '1.2.2', null],
  ['1.12.2', '1.2.6', null],
  ['1.12.5', '1.2.7', null],
  ['1.12.6', '1.2.8', null],
  ['1.13.0', '1.13.0', null],
  ['1.13.2', '1.13.2', null],
  ['1.13.3', '1.13.3', null],
  ['1.13.4', '1.13.4', null],
  ['1.14.0', '1.14.0', 'v1.0.1'],
  ['1.14.1', '1.14.1', 'v1.0.2'],
  ['1.15.0', '1.15.0', 'v1.0.2'],
  ['1.15.1', '1.15.1', 'v1.0.4'],
  ['1.15.3', '1.15.3', 'v1.0.5'],
  ['1.15.4', '1.15.4', 'v1.0.6'],
  ['1.15.5', '1.15.5', 'v1.0.7'],
  ['1.16.0', '1.16.0', 'v1.0.7'],
  ['1.16.2', '1.16.2', 'v1.0.7'],
  ['1.16.3', '1.16.3', 'v1.0.8'],
  ['1.16.4', '1.16.4', 'v1.0.8'],
  ['1.17.1', '1.17.1', 'v1.1.0'],
  ['1.18.0', '1.18.0', 'v1.1.0'],
  ['1.18.1', '1.18.1', 'v1.1.1'],
  ['1.18.2', '1.18.2', 'v1.1.2'],
  ['1.18.3', '1.18.3', 'v1.1.2'],
  ['1.18.4', '1.18.4', 'v1.1.3'],
  ['1.18.5', '1.18.5', 'v1.1.3'],
  ['1.18.6', '1.18.6', 'v1.1.4'],
  ['1.19.0', '1.19.0', 'v1.1.5'],
  ['1.19.2', '1.19.2', 'v1.1.6'],
  ['1.19.3', '1.19.3', 'v1.2.0'],
  ['1.19.4', '1.19.4', 'v1.2.1'],
  ['1.19.5', '1.19.5', 'v1.2.1'],
  ['1.19.6', '1.19.6', 'v1.2.2'],
  ['1.20.0', '1.20.0', 'v1.2.3'],
  ['1.20.1', '1.20.1', 'v1.2.4'],
  ['1.20.2', '1.20.2', 'v1.2.6'],
  ['1.20.3', '1.20.3', 'v1.2.6'],
  ['1.20.4', '1.20.4', 'v1.2.7'],
  ['1.20.5', null, 'v1.2.7'],
  ['1.21.0', '1.21.0', 'v1.3.0'],
  ['1.21.1', '1.21.1', 'v1.3.1'],
  ['1.21.2', '1.21.2', 'v1.3.5'],
  ['1.22.0', null, 'v1.3.1'],
  ['1.22.1', null, 'v1.3.5'],
  ['1.22.2', '1.22.2', 'v1.3.5'],
  ['1.22.3', '1.22.3', 'v1.3.7'],
  ['1.22.4', '1.22.4', 'v1.4.0'],
  ['1.23.0', null, 'v1.4.1'],
];

export const UPSTREAM_RELEASES: readonly UpstreamRelease[] = RELEASES.map(([version, chart, agent]) => ({ version, chart, agent }));

/**
 * Release manifests that do not install their own release: at tag v1.22.0 the manifests still
 * name the v1.21.1 images; the China manifest of v1.20.3 names v1.20.2 and that of v1.20.5 names
 * v1.20.4 (checked image by image at each tag).
 */
const STALE_MANIFESTS: Record<string, readonly ManifestFlavour[]> = {
  '1.22.0': ['commercial', 'cn', 'us-gov-east-1', 'us-gov-west-1'],
  '1.20.3': ['cn'],
  '1.20.5': ['cn'],
};

/** Which upstream manifest file serves a partition or region. */
export type ManifestFlavour = 'commercial' | 'cn' | 'us-gov-east-1' | 'us-gov-west-1';

export function upstreamRelease(version: string): UpstreamRelease | undefined {
  return UPSTREAM_RELEASES.find((r) => r.version === version);
}

/** The newest upstream release of a minor (`1.11` → 1.11.5), if the table knows one. */
export function newestReleaseOfMinor(major: number, minor: number): UpstreamRelease | undefined {
  return UPSTREAM_RELEASES.filter((r) => r.version.startsWith(`${major}.${minor}.`)).at(-1);
}

/**
 * The URL of a release manifest, or undefined when that manifest does not install the release.
 * Up to 1.8 each release kept its manifests under `config/v1.N/`; since 1.9 under `config/master/`.
 */
export function manifestUrl(version: string, flavour: ManifestFlavour): string | undefined {
  if (STALE_MANIFESTS[version]?.includes(flavour)) return undefined;
  const minor = Number(version.split('.')[1]);
  const dir = minor <= 8 ? `config/v1.${minor}` : 'config/master';
  const file = flavour === 'commercial' ? 'aws-k8s-cni.yaml' : `aws-k8s-cni-${flavour}.yaml`;
  return `https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/v${version}/${dir}/${file}`;
}

/**
 * The releases of a minor a self-managed step can install: one with a published chart for Helm,
 * one whose commercial manifest installs it otherwise.
 */
export function releasesOfMinor(major: number, minor: number, method: 'helm' | 'manifest'): UpstreamRelease[] {
  return UPSTREAM_RELEASES.filter((r) => r.version.startsWith(`${major}.${minor}.`) && (method === 'helm' ? r.chart !== null : manifestUrl(r.version, 'commercial') !== undefined));
}

/** Kubernetes 1.22 removed apiextensions.k8s.io/v1beta1: nothing written in it applies there or later. */
function servesV1beta1Crds(kubernetesVersion: string): boolean {
  const k8s = /^(\d+)\.(\d+)$/.exec(kubernetesVersion);
  return !k8s || Number(k8s[1]) !== 1 || Number(k8s[2]) < 22;
}

/**
 * Whether the release manifest of a release defines the ENIConfig CustomResourceDefinition with
 * apiextensions.k8s.io/v1beta1, which Kubernetes 1.22 and later refuse: every manifest before
 * 1.10.0 (config/v1.N/ and config/master/ at the tags v1.7.0 to v1.9.3; apiextensions.k8s.io/v1
 * from v1.10.0). That document alone is v1beta1 (the RBAC is rbac.authorization.k8s.io/v1, the
 * DaemonSet apps/v1), so the manifest applies once it is taken out.
 */
export function manifestCrdIsV1beta1(release: string, kubernetesVersion: string): boolean {
  if (servesV1beta1Crds(kubernetesVersion)) return false;
  const [major, minor] = release.split('.').map(Number) as [number, number];
  return major === 1 && minor < 10;
}

/** The ENIConfig CustomResourceDefinition of the release manifests (the cluster keeps the one it has). */
export const ENICONFIG_CRD = { apiVersion: 'apiextensions.k8s.io/v1beta1', kind: 'CustomResourceDefinition', name: 'eniconfigs.crd.k8s.amazonaws.com' } as const;

/**
 * Whether a release's chart can be installed with Helm on a Kubernetes version: the aws-vpc-cni
 * chart up to 1.1.7 (release 1.8.0) writes the ENIConfig CustomResourceDefinition with
 * apiextensions.k8s.io/v1beta1 (charts/aws-vpc-cni/templates/customresourcedefinition.yaml; v1
 * from chart 1.1.8, release 1.9.0, aws/amazon-vpc-cni-k8s#1534), which `helm upgrade` cannot
 * install on Kubernetes 1.22 or later.
 */
export function chartInstallableOn(release: string, kubernetesVersion: string): boolean {
  if (servesV1beta1Crds(kubernetesVersion)) return true;
  const [major, minor] = release.split('.').map(Number) as [number, number];
  return major !== 1 || minor >= 9;
}
