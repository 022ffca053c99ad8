import type { OperationHandlers, ValidationSkips } from '../api-server.js';
import type { TagService } from '../../control/tag-service.js';

/** The resource ARN is checked by the service against AWS's server-side pattern (the model's is older). */
export const tagValidationSkips: ValidationSkips = {
  TagResource: new Set(['resource']),
  UntagResource: new Set(['resource']),
  ListTags: new Set(['resource']),
};

/** Lambda's tagging operations → TagService. */
export function tagHandlers(tags: TagService): OperationHandlers {
  return {
    TagResource: (input) => tags.tag(input),
    UntagResource: (input) => tags.untag(input),
    ListTags: (input) => tags.list(input),
  };
}
