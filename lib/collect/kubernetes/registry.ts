/**
 * Whether an aws-node image is an official Amazon EKS build: pulled from the EKS ECR account of
 * its registry's region, repository `amazon-k8s-cni`. A mirror or a custom build may carry any
 * tag, so its tag says nothing sure about the code it runs: it is reported as such, not trusted.
 */

import { ECR_PUBLIC_REGISTRY, eksRegistryAccount, parseEcrHost, parseImage } from '../../evaluate/plan/registry.js';

export { eksRegistryAccount, parseImage };
export type { ImageReference } from '../../evaluate/plan/registry.js';

const OFFICIAL_REPOSITORY = 'amazon-k8s-cni';

/**
 * True for `amazon-k8s-cni` from the EKS ECR account of the registry's own region, or from
 * `public.ecr.aws/eks`, where AWS publishes every release too (aws/amazon-vpc-cni-k8s#1306).
 */
export function isOfficialCniImage(image: string): boolean {
  const ref = parseImage(image);
  if (`${ref.registry}/${ref.repository}` === `${ECR_PUBLIC_REGISTRY}/${OFFICIAL_REPOSITORY}`) return true;
  const host = parseEcrHost(ref.registry);
  if (!host || ref.repository !== OFFICIAL_REPOSITORY) return false;
  return host.account === eksRegistryAccount(host.region);
}
