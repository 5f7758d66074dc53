/**
 * Where a cluster's vpc-cni images come from: the Amazon EKS ECR registry of its region, by
 * partition. Pure facts, shared by the collector (is this image official?) and the plans (which
 * registry goes into a command).
 *
 * Source: "View Amazon container image registries for Amazon EKS add-ons"
 * (docs.aws.amazon.com/eks/latest/userguide/add-ons-images.html) and the upstream release
 * manifests (aws/amazon-vpc-cni-k8s config/master/aws-k8s-cni*.yaml). Regions not listed use
 * 602401143452, the account of the commercial regions EKS launched with.
 */
const EKS_REGISTRY_ACCOUNTS: Record<string, string> = {
  'af-south-1': '877085696533',
  'ap-east-1': '800184023465',
  'ap-east-2': '533267051163',
  'ap-south-2': '900889452093',
  'ap-southeast-3': '296578399912',
  'ap-southeast-4': '491585149902',
  'ap-southeast-5': '151610086707',
  'ap-southeast-6': '333609536671',
  'ap-southeast-7': '121268973566',
  'ca-west-1': '761377655185',
  'eu-central-2': '900612956339',
  'eu-south-1': '590381155156',
  'eu-south-2': '455263428931',
  'il-central-1': '066635153087',
  'me-central-1': '759879836304',
  'me-south-1': '558608220178',
  'mx-central-1': '730335286997',
  'cn-north-1': '918309763551',
  'cn-northwest-1': '961992271922',
  'us-gov-east-1': '151742754352',
  'us-gov-west-1': '013241004608',
  'eusc-de-east-1': '877088126301',
};
const DEFAULT_EKS_REGISTRY_ACCOUNT = '602401143452';

/** The registry the upstream release manifests and the Helm chart name by default. */
export const UPSTREAM_DEFAULT_REGISTRY = '602401143452.dkr.ecr.us-west-2.amazonaws.com';
/** Amazon ECR Public, where AWS also publishes the vpc-cni images (repository prefix `eks/`). */
export const ECR_PUBLIC_REGISTRY = 'public.ecr.aws/eks';

/** A region name as AWS writes them (`us-east-1`, `us-gov-west-1`, `cn-northwest-1`, `eusc-de-east-1`). */
const REGION = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/;

export function isRegionName(region: string): boolean {
  return REGION.test(region);
}

/** The partition of a region, from its name; undefined for a name that is not a region. */
export function partitionOfRegion(region: string): string | undefined {
  if (!isRegionName(region)) return undefined;
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/** The DNS suffix of a region's AWS endpoints. */
export function dnsSuffixOfRegion(region: string): string {
  const partition = partitionOfRegion(region);
  if (partition === 'aws-cn') return 'amazonaws.com.cn';
  if (partition === 'aws-eusc') return 'amazonaws.eu';
  return 'amazonaws.com';
}

/** The EKS registry account of a region. */
export function eksRegistryAccount(region: string): string {
  return Object.hasOwn(EKS_REGISTRY_ACCOUNTS, region) ? EKS_REGISTRY_ACCOUNTS[region]! : DEFAULT_EKS_REGISTRY_ACCOUNT;
}

/** `602401143452.dkr.ecr.us-east-1.amazonaws.com`, `961992271922.dkr.ecr.cn-northwest-1.amazonaws.com.cn`. */
export function eksRegistryHost(region: string): string {
  return `${eksRegistryAccount(region)}.dkr.ecr.${region}.${dnsSuffixOfRegion(region)}`;
}

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` or `.amazonaws.eu`. */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2,4}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.(?:com|com\.cn|eu)$/;

/** The account and region of an ECR registry host, or undefined for any other host. */
export function parseEcrHost(host: string): { account: string; region: string } | undefined {
  const match = ECR_HOST.exec(host);
  return match ? { account: match[1]!, region: match[2]! } : undefined;
}

export interface ImageReference {
  /** The registry host (`602401143452.dkr.ecr.us-east-1.amazonaws.com`); `docker.io` when the reference names none. */
  registry: string;
  repository: string;
  /** null when the image is pinned by digest only. */
  tag: string | null;
  digest: string | null;
}

/** Splits `registry/path/repo:tag@sha256:...` the way a container runtime reads it. */
export function parseImage(image: string): ImageReference {
  const at = image.indexOf('@');
  const digest = at === -1 ? null : image.slice(at + 1);
  const name = at === -1 ? image : image.slice(0, at);
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  const tag = colon === -1 ? null : name.slice(colon + 1);
  const path = colon === -1 ? name : name.slice(0, colon);
  const firstSlash = path.indexOf('/');
  const first = firstSlash === -1 ? '' : path.slice(0, firstSlash);
  // A first component with a dot or a port, or `localhost`, is a registry host (Docker's rule).
  const hasRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  return {
    registry: hasRegistry ? first : 'docker.io',
    repository: hasRegistry ? path.slice(firstSlash + 1) : path,
    tag: tag === '' ? null : tag,
    digest,
  };
}
