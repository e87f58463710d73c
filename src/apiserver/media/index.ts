// Media types of the embedded API: which one to answer in (Accept), and writing answers and watch
// events in it. Request bodies are read by Content-Type in ../body.ts.
export {
  errorMedia,
  negotiate,
  notAcceptable,
  JSON_MEDIA_TYPE,
  SERVED_MEDIA_TYPES,
  YAML_MEDIA_TYPE,
  type Media,
  type NegotiateOptions,
  type Negotiated,
} from './negotiate.js';
export { serialize, watchFramer, type WatchFramer, type Wire } from './serialize.js';
