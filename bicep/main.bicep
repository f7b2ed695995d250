// MlLifecycle on Azure: a Flex Consumption function app (.NET 10 isolated) with its storage account,
// Application Insights and one user-assigned identity. No shared keys: storage and telemetry are Entra-only.
//
// Blob triggers: on Flex Consumption the DatasetUploaded and ScoringUploaded functions use the Event Grid source
// (BlobTriggerSource.EventGrid). The Event Grid subscriptions on the storage account that feed them
// (to https://<app>/runtime/webhooks/blobs?functionName=Host.Functions.{name}&code=<key>) are NOT
// created here: their endpoint needs the deployed app's blobs_extension system key, which only exists after the
// first code deployment, and Event Grid validates the endpoint when a subscription is created.
// See bicep/README.md for the post-deployment commands.
targetScope = 'resourceGroup'

@description('Base name for all resources (lowercase letters, digits and hyphens).')
@minLength(3)
@maxLength(20)
param appName string = 'mllifecycle'

@description('Azure region for all resources.')
param location string = resourceGroup().location

@description('NCRONTAB schedule (with seconds) of the drift check timer; becomes MlLifecycle__DriftSchedule.')
param driftSchedule string = '0 0 * * * *'

@description('Memory per Flex Consumption instance in MB, and the memory budget of a training run (MlLifecycle__MemoryBudgetMb): 4096 trains about 10 million rows of 20 columns, 2048 about half that.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

// Deterministic per resource group, so redeployments are idempotent while names stay globally unique.
var suffix = uniqueString(resourceGroup().id, appName)
var functionAppName = 'func-${appName}-${suffix}'
var storageAccountName = take('st${replace(toLower(appName), '-', '')}${suffix}', 24)
var tags = {
  application: appName
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${appName}-${suffix}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    principalId: identity.outputs.principalId
    tags: tags
  }
}

module monitor 'modules/monitor.bicep' = {
  name: 'monitor'
  params: {
    name: '${appName}-${suffix}'
    location: location
    principalId: identity.outputs.principalId
    tags: tags
  }
}

// Depends on both modules through their outputs, so the identity's role assignments exist before the host
// first starts (RBAC can still take a few minutes to propagate).
module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: functionAppName
    location: location
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitor.outputs.appInsightsConnectionString
    driftSchedule: driftSchedule
    instanceMemoryMB: instanceMemoryMB
    tags: tags
    siteTags: {
      'azd-service-name': 'api'
    }
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output storageAccountName string = storage.outputs.name

// For azd (azure.yaml): saved in the azd environment, read by the CD workflow's smoke test.
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT string = storage.outputs.name
