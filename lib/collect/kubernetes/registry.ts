/**
 * Whether an aws-node image is an official Amazon EKS build: `amazon-k8s-cni` from the EKS ECR
 * account of its registry's region (every partition, FIPS endpoints included), or from ECR Public
 * (`public.ecr.aws/eks/amazon-k8s-cni`, where upstream publishes every release). A mirror, a
 * pull-through cache or a custom build may carry any tag, so its tag says nothing sure about the
 * code it runs: it is reported as such, not trusted.
 */

/**
 * The Amazon EKS add-on registries by region, from "View Amazon container image registries for
 * Amazon EKS add-ons" (docs.aws.amazon.com/eks/latest/userguide/add-ons-images.html). Regions
 * not listed use 602401143452 (the commercial regions EKS launched with).
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
const OFFICIAL_REPOSITORY = 'amazon-k8s-cni';
/** ECR Public, where upstream publishes every release (the manifests' `public.ecr.aws/eks/...`). */
const ECR_PUBLIC = { registry: 'public.ecr.aws', repository: `eks/${OFFICIAL_REPOSITORY}` } as const;

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` or `.amazonaws.eu`. */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.(?:com|com\.cn|eu)$/;

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

/** The EKS registry account of a region. */
export function eksRegistryAccount(region: string): string {
  return Object.hasOwn(EKS_REGISTRY_ACCOUNTS, region) ? EKS_REGISTRY_ACCOUNTS[region]! : DEFAULT_EKS_REGISTRY_ACCOUNT;
}

/** True for `amazon-k8s-cni` from ECR Public or from the EKS ECR account of the registry's own region. */
export function isOfficialCniImage(image: string): boolean {
  const ref = parseImage(image);
  if (ref.registry === ECR_PUBLIC.registry) return ref.repository === ECR_PUBLIC.repository;
  const host = ECR_HOST.exec(ref.registry);
  if (!host || ref.repository !== OFFICIAL_REPOSITORY) return false;
  const [, account, region] = host;
  return account === eksRegistryAccount(region!);
}
