// Function app on the Flex Consumption plan (Linux, .NET 10 isolated worker). It authenticates to storage and
// Application Insights only through its user-assigned identity; no keys or connection strings are stored.

@description('Function app name (globally unique; becomes <name>.azurewebsites.net).')
param name string

@description('Azure region.')
param location string

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

@description('Storage account used as AzureWebJobsStorage and by the app.')
param storageAccountName string

@description('URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

@description('Application Insights connection string (routing only; local auth is disabled).')
param appInsightsConnectionString string

@description('NCRONTAB schedule of the drift check timer.')
param driftSchedule string

@description('Upper bound on scale-out; caps cost and the load on the shared storage account.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB; ML.NET training needs more than the smallest size.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

param tags object = {}

@description('Tags of the function app alone (azd finds the service it deploys to by azd-service-name).')
param siteTags object = {}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${name}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, siteTags)
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      // FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION are rejected on Flex Consumption: the runtime
      // comes from functionAppConfig.runtime below.
      appSettings: [
        // Identity-based AzureWebJobsStorage: used by the host, Durable Functions and the blob trigger.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccountName
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        // The worker's own storage clients use DefaultAzureCredential, which only picks a user-assigned
        // identity when told its client id.
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsightsConnectionString
        }
        // Required because the component has local auth disabled.
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        {
          name: 'MlLifecycle__DriftSchedule'
          value: driftSchedule
        }
        {
          // The data stage refuses a dataset whose estimated peak exceeds the instance's memory.
          name: 'MlLifecycle__MemoryBudgetMb'
          value: string(instanceMemoryMB)
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// Deployments go through Entra-authenticated endpoints (az CLI / Core Tools), so basic (user/password)
// publishing credentials are switched off.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
