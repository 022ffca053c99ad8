import { AwsError } from '../domain/errors.js';

/**
 * CloudWatch Logs' errors with AWS's texts (json 1.1: `__type` is the shape name; all 400s).
 * Checked against SDK and CLI reports of real responses.
 */
export const logsError = (type: string, message: string) => new AwsError(type, message, { status: 400 });

export const groupNotFound = () => logsError('ResourceNotFoundException', 'The specified log group does not exist.');
export const streamNotFound = () => logsError('ResourceNotFoundException', 'The specified log stream does not exist.');
export const groupExists = () => logsError('ResourceAlreadyExistsException', 'The specified log group already exists');
export const streamExists = () => logsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
export const invalidParameter = (message: string) => logsError('InvalidParameterException', message);
