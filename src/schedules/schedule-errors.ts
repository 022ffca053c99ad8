import { AwsError } from '../domain/errors.js';

/** EventBridge Scheduler's and EventBridge's error shapes (status from each model). */
// EventBridge's model does not list ValidationException on every operation; AWS answers it with 400.
export const validation = (message: string) => new AwsError('ValidationException', message, { status: 400 });
export const conflict = (message: string) => new AwsError('ConflictException', message);
export const notFound = (message: string) => new AwsError('ResourceNotFoundException', message);
