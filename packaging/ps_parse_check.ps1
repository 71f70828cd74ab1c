# Parses every PowerShell text Federator generates (cases from packaging/ps_parse_check.py) with
# PowerShell's own parser, runs none of it, and fails unless each text parses without error, holds
# exactly the expected commands, nothing that could run or expand (sub-expressions, variables
# other than $true/$false/$null, expandable strings, script blocks, member calls), and gives back
# every expected argument value unchanged.
#   pwsh -File packaging/ps_parse_check.ps1 cases.json
param([Parameter(Mandatory = $true)][string]$CasesFile)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Get-LiteralValue([System.Management.Automation.Language.Ast]$Ast) {
    switch ($Ast.GetType().Name) {
        'StringConstantExpressionAst' { return [string]$Ast.Value }
        'ConstantExpressionAst' { return $Ast.Value }
        'ParenExpressionAst' { return Get-LiteralValue $Ast.Pipeline }
        'PipelineAst' {
            if ($Ast.PipelineElements.Count -ne 1) { throw "pipeline of $($Ast.PipelineElements.Count)" }
            return Get-LiteralValue $Ast.PipelineElements[0]
        }
        'CommandExpressionAst' { return Get-LiteralValue $Ast.Expression }
        'BinaryExpressionAst' {
            if ($Ast.Operator -ne 'Plus') { throw "operator $($Ast.Operator)" }
            return [string](Get-LiteralValue $Ast.Left) + [string](Get-LiteralValue $Ast.Right)
        }
        'ConvertExpressionAst' {
            $type = $Ast.Type.TypeName.FullName
            $inner = Get-LiteralValue $Ast.Child
            if ($type -eq 'char') { return [string][char][int]$inner }
            if ($type -eq 'string') { return [string]$inner }
            throw "conversion to $type"
        }
        'VariableExpressionAst' {
            $name = $Ast.VariablePath.UserPath
            if ($name -in @('true', 'false', 'null')) { return $null }
            throw "variable `$$name"
        }
        'ArrayLiteralAst' { return $null }
        'HashtableAst' { return $null }
        default { throw "unexpected $($Ast.GetType().Name): $($Ast.Extent.Text)" }
    }
}

$cases = Get-Content -Raw -Encoding UTF8 $CasesFile | ConvertFrom-Json
$failures = 0
foreach ($case in $cases) {
    try {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($case.text, [ref]$tokens, [ref]$errors)
        if ($errors.Count -gt 0) { throw "parse errors: $($errors | ForEach-Object Message)" }
        $forbidden = $ast.FindAll({ param($a)
                $a -is [System.Management.Automation.Language.SubExpressionAst] -or
                $a -is [System.Management.Automation.Language.ExpandableStringExpressionAst] -or
                $a -is [System.Management.Automation.Language.ScriptBlockExpressionAst] -or
                $a -is [System.Management.Automation.Language.InvokeMemberExpressionAst] -or
                $a -is [System.Management.Automation.Language.UsingExpressionAst] -or
                ($a -is [System.Management.Automation.Language.VariableExpressionAst] -and
                 $a.VariablePath.UserPath -notin @('true', 'false', 'null'))
            }, $true)
        if (@($forbidden).Count -gt 0) { throw "runs or expands: $(@($forbidden)[0].Extent.Text)" }
        $commands = @($ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] }, $true))
        $names = @($commands | ForEach-Object { $_.GetCommandName() })
        if (($names -join '|') -cne (@($case.commands) -join '|')) {
            throw "commands [$($names -join ', ')], expected [$(@($case.commands) -join ', ')]"
        }
        $values = [System.Collections.Generic.List[string]]::new()
        foreach ($command in $commands) {
            foreach ($element in $command.CommandElements | Select-Object -Skip 1) {
                if ($element -is [System.Management.Automation.Language.CommandParameterAst]) { continue }
                if ($element -is [System.Management.Automation.Language.HashtableAst]) {
                    foreach ($pair in $element.KeyValuePairs) {
                        $v = Get-LiteralValue $pair.Item2
                        if ($null -ne $v) { $values.Add([string]$v) }
                    }
                    continue
                }
                $v = Get-LiteralValue $element
                if ($null -ne $v) { $values.Add([string]$v) }
            }
        }
        foreach ($expected in @($case.values)) {
            if (-not $values.Contains([string]$expected)) {
                throw "value not given back unchanged: $(ConvertTo-Json ([string]$expected)); got $(ConvertTo-Json @($values))"
            }
        }
    } catch {
        $failures++
        Write-Host "FAIL $($case.name): $_"
        Write-Host $case.text
    }
}
Write-Host "$(@($cases).Count) generated PowerShell texts parsed, $failures failed"
if ($failures -gt 0) { exit 1 }
