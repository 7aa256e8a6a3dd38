/**
 * The bodies the real Azure OpenAI images API sends, copied from recordings and live errors
 * (test/fixtures/azure-image-responses.json: Azure SDK recordings and errors users reported). Clients are tested against these exact shapes,
 * so change them only when the real service changes.
 */

export type JsonBody = Readonly<Record<string, unknown>>;

const SAFE = { filtered: false, severity: 'safe' } as const;

/** `content_filter_results` on a dall-e-3 image: the generated image passed every category. */
export const SAFE_CONTENT_FILTER_RESULTS = Object.freeze({
  hate: SAFE,
  self_harm: SAFE,
  sexual: SAFE,
  violence: SAFE,
});

/** `prompt_filter_results` on a dall-e-3 image: the prompt passed every category. */
export const SAFE_PROMPT_FILTER_RESULTS = Object.freeze({
  hate: SAFE,
  profanity: { detected: false, filtered: false },
  self_harm: SAFE,
  sexual: SAFE,
  violence: SAFE,
});

export function rateLimitedBody(apiVersion: string, retryAfterSeconds: number): JsonBody {
  const unit = retryAfterSeconds === 1 ? 'second' : 'seconds';
  return {
    error: {
      code: '429',
      message:
        `Requests to the ImageGenerations_Create Operation under Azure OpenAI API version ${apiVersion} have exceeded ` +
        `call rate limit of your current OpenAI S0 pricing tier. Please retry after ${retryAfterSeconds} ${unit}. ` +
        'Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.',
    },
  };
}

/** The real 400 for a bad parameter names only the property, not the value or what is allowed. */
export function invalidPayloadBody(property: string): JsonBody {
  return { error: { code: 'invalidPayload', message: `Invalid payload: Value for property ${property} is invalid.` } };
}

/** Prompt rejected by the content filter (live dall-e-3 body; `revised_prompt` only from dall-e-3). */
export function promptFilteredBody(revisedPrompt: string | undefined): JsonBody {
  return {
    error: {
      code: 'content_policy_violation',
      inner_error: {
        code: 'ResponsibleAIPolicyViolation',
        content_filter_results: {
          hate: SAFE,
          profanity: { detected: false, filtered: false },
          self_harm: SAFE,
          sexual: SAFE,
          violence: { filtered: true, severity: 'low' },
        },
        ...(revisedPrompt === undefined ? {} : { revised_prompt: revisedPrompt }),
      },
      message: 'Your request was rejected as a result of our safety system.',
      type: 'invalid_request_error',
    },
  };
}

const GENERATED_IMAGE_FILTERED = Object.freeze({
  code: 'contentFilter',
  message: 'Generated image was filtered as a result of our safety system.',
});

/** Every generated image blocked by the output filter (Azure docs body). */
export function outputFilteredBody(createdSeconds: number): JsonBody {
  return { created: createdSeconds, error: GENERATED_IMAGE_FILTERED };
}

/** One filtered image inside an otherwise successful `data` array (older Azure docs). */
export const FILTERED_ITEM: JsonBody = Object.freeze({ error: GENERATED_IMAGE_FILTERED });

export const UNAUTHORIZED_BODY: JsonBody = Object.freeze({
  error: {
    code: '401',
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an ' +
      'active subscription and use a correct regional API endpoint for your resource.',
  },
});

export const FORBIDDEN_BODY: JsonBody = Object.freeze({
  error: {
    code: 'Forbidden',
    message:
      'Your resource has been temporarily blocked because we detected behavior that may violate our content policy. ' +
      'For more details on Azure OpenAI service content policy, please visit https://aka.ms/aoaicodeofconduct',
  },
});

export const DEPLOYMENT_NOT_FOUND_BODY: JsonBody = Object.freeze({
  error: {
    code: 'DeploymentNotFound',
    message:
      'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, ' +
      'please wait a moment and try again.',
  },
});

/** A model the operation does not serve (a chat model for generations; dall-e-3 for edits). */
export function operationNotSupportedBody(model: string, operation: 'imageGenerations' | 'imageEdits' = 'imageGenerations'): JsonBody {
  return {
    error: {
      code: 'OperationNotSupported',
      message:
        `The ${operation} operation does not work with the specified model, ${model}. Please choose different ` +
        'model and try again. You can learn more about which models can be used with each operation here: ' +
        'https://go.microsoft.com/fwlink/?linkid=2197993.',
    },
  };
}

export function serverErrorBody(requestId: string): JsonBody {
  return {
    error: {
      message:
        'The server had an error while processing your request. Sorry about that! You can retry your request, or ' +
        'contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if the error ' +
        `persists. (Please include the request ID ${requestId} in your message.)`,
      type: 'server_error',
      param: null,
      code: null,
    },
  };
}

/** A gateway 503 is plain text, not JSON. */
export const SERVICE_UNAVAILABLE_TEXT = 'Service Unavailable';

/** Azure's answer for a path it does not route, and for a call without `api-version`. */
export const RESOURCE_NOT_FOUND_BODY: JsonBody = Object.freeze({
  error: { code: '404', message: 'Resource not found' },
});

