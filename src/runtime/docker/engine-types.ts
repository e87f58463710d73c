// The parts of the Engine API's JSON that berth reads or writes (API v1.41; Podman's compat API
// answers with the same shapes).

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Config: {
    Labels: Record<string, string> | null;
    Tty?: boolean;
    OpenStdin?: boolean;
    Image?: string;
  };
  State: {
    Status: string;
    Running: boolean;
    Pid: number;
    ExitCode: number;
    OOMKilled: boolean;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
  };
  NetworkSettings?: {
    IPAddress?: string;
    Networks?: Record<string, { IPAddress?: string }> | null;
  };
  HostConfig?: { NetworkMode?: string; Memory?: number };
  Mounts?: Array<{ Source?: string; Destination?: string }> | null;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string> | null;
  State: string;
}

export interface ImageInspect {
  Id: string;
  Size?: number;
  Config?: { User?: string } | null;
}

export interface EngineVersion {
  Version?: string;
  ApiVersion?: string;
  Components?: Array<{ Name: string; Version: string }>;
}

export interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

export interface CreateResponse {
  Id: string;
  Warnings?: string[] | null;
}
