/**
 * Stub backends for tests, the demo and the benchmark: real HTTP servers on
 * 127.0.0.1 that behave like a healthy or broken origin and like the mirror
 * buckets.
 */
export {
  BEHAVIOUR_LIMITS,
  DEFAULT_BEHAVIOUR,
  DEFAULT_RESET_BYTES,
  DEFAULT_STALL_BYTES,
  InvalidBehaviourError,
  behaviourForPath,
  describeBehaviour,
  validateBehaviour,
  type Behaviour,
  type BehaviourKind,
  type BucketBehaviour,
  type ByPathBehaviour,
  type DelayBehaviour,
  type EchoBehaviour,
  type HangBehaviour,
  type HeaderMap,
  type RandomBehaviour,
  type RefuseBehaviour,
  type ResetMidBodyBehaviour,
  type SlowBodyBehaviour,
  type StatusBehaviour,
} from './behaviour.ts';
export { STUB_HOST, startStubBackend, type StubBackend, type StubBackendOptions } from './stub-backend.ts';
export { closeAll, startStubBackends, type StubBackendGroup } from './stub-backends.ts';
export { MAX_RECORDED_BODY_BYTES, type RecordedRequest } from './recording.ts';
export { createPrng, predictChoices, type Prng, type ResolvedBehaviour } from './random-choice.ts';
export { bucketFilePath, bucketKeyFromPath, bucketPathForKey, type KeyResult } from './bucket.ts';
export { makeBucketDir, type BucketDir, type BucketFiles } from './bucket-dir.ts';
export { contentTypeForKey } from './content-type.ts';
export { echoBody, statusBody } from './respond.ts';
export { STUB_BACKEND_HEADER, STUB_PATH_HEADER } from './exchange.ts';
export {
  startStubRequest,
  stubRequest,
  type StubRequest,
  type StubRequestOptions,
  type StubRequestOutcome,
} from './http-client.ts';
